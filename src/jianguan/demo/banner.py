"""Print what ``make demo`` serves: the pages to open and the demo logins of every role.

Reads the lines ``jianguan demo seed`` printed on standard input.
"""

from __future__ import annotations

import argparse
import sys

PAGES = (
    ("/", "首页 Home"),
    ("/enterprises", "入网企业目录 Networked enterprises"),
    ("/login", "登录 Log in"),
    ("/dashboard", "工作台 Dashboard (after login)"),
    ("/kiosk", "查询终端 In-store query terminal (use the terminal key below)"),
    ("/api/docs", "接口文档 API documentation"),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()
    base = f"http://{args.host}:{args.port}"
    logins, keys, samples = [], [], []
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 4 and parts[0] == "login":
            logins.append(parts[1:])
        elif len(parts) == 3 and parts[0] == "apikey":
            keys.append(parts[1:])
        elif len(parts) == 3 and parts[0] == "sample":
            samples.append(parts[1:])
    print(f"\nJianguan demo / 电子监管网演示: {base}\n")
    print("Pages / 页面:")
    for path, name in PAGES:
        print(f"  {base}{path:<16} {name}")
    print("\nDemo logins / 演示账号 (role, username, password):")
    for role, username, password in logins:
        print(f"  {role:<13} {username:<24} {password}")
    if keys:
        print("\nAPI keys / 密钥 (send as 'Authorization: Bearer KEY'):")
        for role, key in keys:
            print(f"  {role:<13} {key}")
    if samples:
        print("\nSample codes / 样例监管码:")
        for state, code in samples:
            # A registered GS1 code comes as its Digital Link URI on the network's address: shown on this one.
            link = f"{base}/01/{code.split('/01/', 1)[1]}" if "://" in code and "/01/" in code else f"{base}/v/{code}"
            print(f"  {state:<16} {link}")
    print("\n(also saved in var/demo-logins.txt)\n", flush=True)


if __name__ == "__main__":
    main()
