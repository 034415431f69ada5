#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, where they are missing:
#   chromium             browser tests (Playwright drives /usr/bin/chromium; no browser download)
#   fonts-wqy-microhei   Chinese glyphs in screenshots and PDFs (embedded in label sheets)
#   poppler-utils        pdftoppm, pdffonts, pdftotext: the tests read rendered PDFs back
#   postgresql           a throwaway server for the PostgreSQL half of the suite, unless
#                        JIANGUAN_TEST_POSTGRES_URL names a running one
#   redis-server         a throwaway store shared by worker processes (rate limits, abuse
#                        counts), unless JIANGUAN_TEST_REDIS_URL names a running one
# Without root or apt-get it says plainly what is missing and fails.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ -z "${JIANGUAN_TEST_POSTGRES_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ -z "${JIANGUAN_TEST_REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  missing+=(redis-server)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} / 正在安装 ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need these Debian packages, and they cannot be installed from here (root and apt-get are needed):" >&2
echo "测试需要以下 Debian 软件包，但当前无法自动安装（需要 root 权限和 apt-get）：" >&2
printf '  %s\n' "${missing[@]}" >&2
echo "Install them with: sudo apt-get install ${missing[*]}" >&2
echo "(or set JIANGUAN_TEST_POSTGRES_URL to a PostgreSQL server instead of installing postgresql," >&2
echo " and JIANGUAN_TEST_REDIS_URL to a Redis server instead of installing redis-server)" >&2
exit 1
