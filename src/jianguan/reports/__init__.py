"""Reports of fakes (举报假冒): what a consumer saw, where they bought it, and how to reach them."""
