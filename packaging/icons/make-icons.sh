#!/usr/bin/env bash
# Renders the hicolor PNG sizes from resources/regscope.svg (needs librsvg2-bin). The PNGs are
# committed so a package build needs no SVG renderer; run this again when the SVG changes.
set -euo pipefail
cd "$(dirname "$0")"
for size in 16 22 24 32 48 64 128 256 512; do
    rsvg-convert -w "$size" -h "$size" ../../resources/regscope.svg -o "regscope-$size.png"
done
