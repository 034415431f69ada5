"""Query terminals (查询终端): the in-store machines customers and shop staff check codes on."""
