#!/usr/bin/env bash
# Writes the spreadsheet exports under internal/csvimport/testdata/spreadsheet
# from invitees.csv (20 Swedish invitees, UTF-8), the way administrators make
# them: LibreOffice Calc (Debian's libreoffice-calc-nogui) loads the file as a
# sheet of text cells, saves it as xlsx, and exports that sheet as CSV in each
# encoding and separator. LibreOffice 7.4 writes neither a UTF-8 byte order
# mark nor big-endian UTF-16, so those two are made from its exports with
# Python's codecs. The files are committed; tests do not need LibreOffice.
#
#   apt-get install -y libreoffice-calc-nogui && bash scripts/spreadsheet-fixtures.sh
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/internal/csvimport/testdata/spreadsheet"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home"
cp "$dir/invitees.csv" "$work/"
cd "$work"
text="1/2/2/2/3/2/4/2/5/2/6/2/7/2/8/2/9/2" # every column a text cell
soffice --headless --infilter="CSV:44,34,76,1,$text" --convert-to xlsx:"Calc MS Excel 2007 XML" invitees.csv >/dev/null
cp invitees.xlsx "$dir/libreoffice.xlsx"
export_csv() { # NAME FILTER-OPTIONS: separator, quote, character set (76 UTF-8, 1 Windows-1252, 65535 UTF-16)
  mkdir -p "out-$1"
  soffice --headless --convert-to "csv:Text - txt - csv (StarCalc):$2" --outdir "out-$1" invitees.xlsx >/dev/null
  mv "out-$1/invitees.csv" "$dir/$1"
}
export_csv libreoffice-utf8.csv "44,34,76,1"
export_csv libreoffice-utf8-tab.tsv "9,34,76,1"
export_csv libreoffice-windows-1252-semicolon.csv "59,34,1,1"
export_csv libreoffice-windows-1252-comma.csv "44,34,1,1"
export_csv libreoffice-utf16-tab.txt "9,34,65535,1"
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
with open(d + "/libreoffice-utf8.csv", "rb") as f:
    data = f.read()
with open(d + "/libreoffice-utf8-bom-semicolon.csv", "wb") as f:
    f.write(b"\xef\xbb\xbf" + data.replace(b",", b";"))
with open(d + "/libreoffice-utf16-tab.txt", "rb") as f:
    text = f.read().decode("utf-16")
with open(d + "/libreoffice-utf16be-tab.txt", "wb") as f:
    f.write(b"\xfe\xff" + text.encode("utf-16-be"))
PY
