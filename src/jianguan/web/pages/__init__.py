"""Server-rendered pages, Chinese first with an English switch."""

from jianguan.web.pages import auth, home

ROUTERS = [home.router, auth.router]
