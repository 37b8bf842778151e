#!/usr/bin/python3
"""Render a deterministic, realistic-looking scanned document (the main job's test picture).

    /usr/bin/python3 scripts/make_test_image.py OUT.png [--width 1000] [--height 1300] [--seed 0]
                                                [--levels N]

White paper with a faint tint and vignetting, black printed text in several sizes and
faces (title, headings, body paragraphs, a small table, a footer), then a slight
rotation, mild blur and sparse scanner noise. Everything is seeded, so the same
PIL/FreeType/font versions give the same picture. Fonts: DejaVu (Debian package
fonts-dejavu-core); falls back to PIL's bitmap font if none is installed.

--levels N stores the picture as a palette PNG of N tones from ink to paper (tinted like
the paper) instead of full RGB: the anti-aliased text edges are what make the RGB file
~470 KB, and 8 tones keep them visibly the same at ~50 KB. The committed main-job picture
is made this way:

    /usr/bin/python3 scripts/make_test_image.py tests/data/document.png --levels 8

Also importable: make_document(), to_levels(), render_text_line().
"""
import argparse
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/TTF", "/usr/share/fonts/dejavu",
             "/usr/share/fonts/truetype/liberation", "/usr/share/fonts/truetype/freefont"]
FONT_FILES = {
    "sans": ["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "FreeSans.ttf"],
    "sans-bold": ["DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "FreeSansBold.ttf"],
    "serif": ["DejaVuSerif.ttf", "LiberationSerif-Regular.ttf", "FreeSerif.ttf"],
    "mono": ["DejaVuSansMono.ttf", "LiberationMono-Regular.ttf", "FreeMono.ttf"],
}

TITLE = "EDGE INFERENCE FIELD REPORT"
SUBTITLE = "Document No. 2024-117  /  Distribution: engineering"
BODY = [
    "This report summarises the results of running compact neural networks on small",
    "embedded boards in the field. Each device processed camera frames at a fixed rate",
    "and stored the detections together with the measured latency and power draw.",
    "",
    "The text detector located printed labels on packages with high confidence, while",
    "the recogniser transcribed serial numbers, dates and short product descriptions.",
    "Frames with motion blur or strong glare were flagged and excluded from the totals.",
]
HEADING2 = "Summary of measurements"
TABLE = [
    ("Model", "Input", "Latency ms", "Accuracy"),
    ("text detector", "640 x 640", "41.7", "0.912"),
    ("recogniser", "48 x 320", "6.3", "0.874"),
    ("classifier", "224 x 224", "12.9", "0.761"),
]
BODY2 = [
    "All numbers are medians over three runs after a warm-up pass. Devices were kept at",
    "room temperature and powered from the same bench supply during the whole session.",
]
HEADING3 = "Notes"
NOTES = [
    "1. Replace the lens cover on unit 14 before the next inspection round.",
    "2. Firmware 3.2.1 fixes the clock drift seen on the outdoor cameras.",
    "3. Send the raw logs to the archive server by Friday, 17:00 at the latest.",
]
SIGN = [("Checked by: M. Keller", "Date: 12 March 2024"), ("Approved: R. Okafor", "Signature: ____________")]
FOOTER = "Page 1 of 1    Printed on recycled paper    Keep this document for your records"


def find_font(kind):
    for d in FONT_DIRS:
        for f in FONT_FILES[kind]:
            p = os.path.join(d, f)
            if os.path.exists(p):
                return p
    return None


def load_font(kind, size):
    p = find_font(kind) or find_font("sans")
    if p is None:
        return ImageFont.load_default()
    return ImageFont.truetype(p, size)


def _text_w(draw, text, font):
    x0, _, x1, _ = draw.textbbox((0, 0), text, font=font)
    return x1 - x0


def make_document(width=1000, height=1300, seed=0):
    """Return (PIL RGB image, number of printed text lines)."""
    rng = np.random.RandomState(seed)
    pyr = random.Random(seed)
    # Paper: warm off-white with a soft vignette.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.sqrt(((xx - width / 2) / width) ** 2 + ((yy - height / 2) / height) ** 2)
    shade = 250.0 - 14.0 * r ** 2
    paper = np.stack([shade, shade - 2.0, shade - 7.0], axis=-1)
    img = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    ink = (22, 22, 26)
    margin = int(width * 0.08)
    y = int(height * 0.06)
    lines = 0

    f = load_font("sans-bold", max(12, width // 24))
    draw.text(((width - _text_w(draw, TITLE, f)) // 2, y), TITLE, font=f, fill=ink)
    y += int(f.size * 1.7) if hasattr(f, "size") else 30
    lines += 1
    f = load_font("sans", max(10, width // 50))
    draw.text(((width - _text_w(draw, SUBTITLE, f)) // 2, y), SUBTITLE, font=f, fill=(60, 60, 66))
    y += int(f.size * 2.2) if hasattr(f, "size") else 30
    lines += 1
    draw.line([(margin, y - 12), (width - margin, y - 12)], fill=(90, 90, 90), width=2)

    f = load_font("serif", max(10, width // 52))
    step = int(f.size * 1.55) if hasattr(f, "size") else 20
    for t in BODY:
        if t:
            draw.text((margin + pyr.randint(-1, 1), y), t, font=f, fill=ink)
            lines += 1
        y += step
    y += step // 2
    fh = load_font("sans-bold", max(10, width // 36))
    draw.text((margin, y), HEADING2, font=fh, fill=ink)
    y += int(fh.size * 1.8) if hasattr(fh, "size") else 26
    lines += 1

    fm = load_font("mono", max(10, width // 52))
    cols = [margin, margin + int(width * 0.26), margin + int(width * 0.48), margin + int(width * 0.68)]
    rowh = int(fm.size * 1.9) if hasattr(fm, "size") else 22
    for i, row in enumerate(TABLE):
        for c, cell in zip(cols, row):
            draw.text((c + 4, y + 4), cell, font=fm, fill=ink)
        lines += 1
        y += rowh
        draw.line([(margin, y), (width - margin, y)], fill=(150, 150, 150), width=1)
    y += step
    for t in BODY2:
        draw.text((margin, y), t, font=f, fill=ink)
        lines += 1
        y += step
    y += step // 2
    draw.text((margin, y), HEADING3, font=fh, fill=ink)
    y += int(fh.size * 1.8) if hasattr(fh, "size") else 26
    lines += 1
    fs = load_font("sans", max(9, width // 58))
    for t in NOTES:
        draw.text((margin + 10, y), t, font=fs, fill=ink)
        lines += 1
        y += int(step * 0.95)
    y += step
    for left, right in SIGN:
        draw.text((margin, y), left, font=f, fill=ink)
        draw.text((margin + int(width * 0.5), y), right, font=f, fill=ink)
        lines += 2
        y += int(step * 1.4)
    ff = load_font("sans", max(8, width // 70))
    draw.text(((width - _text_w(draw, FOOTER, ff)) // 2, height - int(height * 0.05)), FOOTER, font=ff,
              fill=(70, 70, 70))
    lines += 1

    # Scan artefacts: slight rotation, mild blur, sparse specks.
    angle = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.2))
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=(246, 244, 238))
    img = img.filter(ImageFilter.GaussianBlur(radius=0.6))
    a = np.asarray(img).astype(np.int16)
    n = (width * height) // 900
    ys, xs = rng.randint(0, height, n), rng.randint(0, width, n)
    a[ys, xs] -= rng.randint(40, 140, n)[:, None].astype(np.int16)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")
    return img, lines


INK_LEVEL, PAPER_LEVEL = 22.0, 250.0   # luminance of the ink and of the paper's centre


def to_levels(img, n):
    """img (RGB) as an n-tone palette image: luminance mapped to the nearest of n evenly
    spaced tones between ink and paper (no dithering: dither noise would cost more bytes
    than the tones save). Tone t in [0,1] gets the paper's tint scaled by t."""
    if not 2 <= n <= 256:
        raise ValueError(f"levels must be in [2, 256], got {n}")
    lum = np.asarray(img.convert("L")).astype(np.float32)
    span = PAPER_LEVEL - INK_LEVEL
    idx = np.clip(np.rint((lum - INK_LEVEL) / span * (n - 1)), 0, n - 1).astype(np.uint8)
    t = np.arange(n, dtype=np.float32) / (n - 1)
    tone = INK_LEVEL + span * t
    pal = np.stack([tone, tone - 2.0 * t, tone - 7.0 * t], axis=1)  # the paper's tint (see above)
    out = Image.fromarray(idx, "P")
    out.putpalette(np.clip(np.rint(pal), 0, 255).astype(np.uint8).flatten().tolist())
    return out


def render_text_line(text, width=320, height=48, seed=0):
    """A single printed text line, as the recogniser expects (RGB, width x height)."""
    rng = np.random.RandomState(seed)
    img = Image.new("RGB", (width, height), (244, 242, 236))
    draw = ImageDraw.Draw(img)
    size = int(height * 0.62)
    f = load_font("sans", size)
    while _text_w(draw, text, f) > width - 8 and size > 8:
        size -= 1
        f = load_font("sans", size)
    draw.text((4, (height - size) // 2 - 2), text, font=f, fill=(20, 20, 24))
    a = np.asarray(img.filter(ImageFilter.GaussianBlur(0.5))).astype(np.float32)
    a += rng.normal(0, 3.0, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--width", type=int, default=1000)
    ap.add_argument("--height", type=int, default=1300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--levels", type=int, default=0,
                    help="store as a palette PNG of this many ink-to-paper tones (2..256); "
                         "default: full RGB")
    a = ap.parse_args(argv)
    if a.levels and not 2 <= a.levels <= 256:
        ap.error(f"--levels {a.levels}: expected 2..256")
    img, lines = make_document(a.width, a.height, a.seed)
    if a.levels:
        img = to_levels(img, a.levels)
    d = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(d, exist_ok=True)
    img.save(a.out, optimize=True)
    print(f"{a.out}: {img.size[0]}x{img.size[1]}, {lines} text lines, "
          f"{f'{a.levels} tones' if a.levels else 'RGB'}, {os.path.getsize(a.out)} bytes"
          f"{'' if find_font('sans') else ' (no TrueType font found: bitmap fallback)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
