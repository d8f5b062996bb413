#!/usr/bin/env bash
# Regenerate every NumberDesk bundle icon from the hand-written SVG sources.
#
#   icon.svg        master artwork (used for 44 px and larger)
#   icon-small.svg  hinted small-size variant (used for 16-32 px)
#   tray.svg        monochrome macOS menu-bar template glyph
#   tray-color.svg  coloured Windows/Linux tray glyph
#
# Requirements: rsvg-convert (apt-get install -y librsvg2-bin),
#               python3 with Pillow (pip install pillow).
# Usage:        icons/build-icons.sh          (run from anywhere)
set -euo pipefail

cd "$(dirname "$0")"

command -v rsvg-convert >/dev/null || { echo "error: rsvg-convert not found (apt-get install -y librsvg2-bin)" >&2; exit 1; }
python3 -c 'import PIL' 2>/dev/null || { echo "error: Pillow not found (pip install pillow)" >&2; exit 1; }

python3 - <<'PY'
import io, os, struct, subprocess, tempfile
from PIL import Image

SMALL_MAX = 32          # sizes <= this use icon-small.svg
tmp = tempfile.mkdtemp(prefix="nd-icons-")


def render(svg, size):
    """Rasterise svg at size x size with librsvg, return an RGBA Pillow image."""
    out = os.path.join(tmp, f"{os.path.basename(svg)}-{size}.png")
    subprocess.run(["rsvg-convert", "-w", str(size), "-h", str(size), svg, "-o", out], check=True)
    with Image.open(out) as im:
        return im.convert("RGBA")


def app(size):
    return render("icon-small.svg" if size <= SMALL_MAX else "icon.svg", size)


def save_png(im, name):
    assert im.mode == "RGBA"
    im.save(name, format="PNG", optimize=True)   # RGBA stays RGBA (PNG32), never palette
    print(f"  {name:28s} {im.width}x{im.height}")


# --- Tauri / Linux PNGs -----------------------------------------------------
for size, name in [(32, "32x32.png"), (64, "64x64.png"), (128, "128x128.png"),
                   (256, "128x128@2x.png"), (512, "icon.png")]:
    save_png(app(size), name)

# --- Windows Store logos (names as `tauri icon` writes them) ----------------
for size in (30, 44, 71, 89, 107, 142, 150, 284, 310):
    save_png(app(size), f"Square{size}x{size}Logo.png")
save_png(app(50), "StoreLogo.png")

# --- Tray icons ---------------------------------------------------------------
save_png(render("tray.svg", 32), "tray-template.png")
save_png(render("tray.svg", 64), "tray-template@2x.png")
save_png(render("tray-color.svg", 32), "tray.png")
save_png(render("tray-color.svg", 64), "tray@2x.png")


# --- icon.ico: 32-bit BMP frames below 256 px, PNG frame at 256 px ----------
def bmp_frame(im):
    w, h = im.size
    header = struct.pack("<IiiHHIIiiII", 40, w, h * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    b, g, r, a = im.split()[2], im.split()[1], im.split()[0], im.split()[3]
    bgra = Image.merge("RGBA", (b, g, r, a)).transpose(Image.FLIP_TOP_BOTTOM).tobytes()
    mask_row = ((w + 31) // 32) * 4          # AND mask, all zero (alpha is used)
    return header + bgra + b"\0" * (mask_row * h)


def png_frame(im):
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


ico_sizes = [16, 24, 32, 48, 64, 256]
frames = [(s, png_frame(app(s)) if s >= 256 else bmp_frame(app(s))) for s in ico_sizes]
offset = 6 + 16 * len(frames)
data = struct.pack("<HHH", 0, 1, len(frames))
for s, blob in frames:
    dim = 0 if s >= 256 else s
    data += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
    offset += len(blob)
data += b"".join(blob for _, blob in frames)
with open("icon.ico", "wb") as f:
    f.write(data)
print(f"  {'icon.ico':28s} {', '.join(map(str, ico_sizes))}")


# --- icon.icns: artwork placed on Apple's icon grid (824 px tile in 1024) ---
def mac(size):
    if size <= SMALL_MAX:
        svg, tile = "icon-small.svg", 992      # tile width in the SVG's 1024 canvas
    else:
        svg, tile = "icon.svg", 896
    inner = max(1, round(size * 824 / tile))
    art = render(svg, inner)
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(art, ((size - inner) // 2, (size - inner) // 2))
    return canvas


def packbits_channel(buf):
    """Apple's icns RLE for is32/il32: literal runs 1..128, repeats 3..130."""
    out, i, n = bytearray(), 0, len(buf)
    while i < n:
        run = 1
        while i + run < n and run < 130 and buf[i + run] == buf[i]:
            run += 1
        if run >= 3:
            out += bytes([run + 125, buf[i]])
            i += run
            continue
        start = i
        while i < n and i - start < 128:
            if i + 2 < n and buf[i] == buf[i + 1] == buf[i + 2]:
                break
            i += 1
        out += bytes([i - start - 1]) + buf[start:i]
    return bytes(out)


def legacy_rgb(im):
    r, g, b, a = im.split()
    return b"".join(packbits_channel(c.tobytes()) for c in (r, g, b)), a.tobytes()


def png_bytes(im):
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


art = {s: mac(s) for s in (16, 32, 64, 128, 256, 512, 1024)}
is32, s8mk = legacy_rgb(art[16])
il32, l8mk = legacy_rgb(art[32])
elements = [                    # iconutil's iconset slots
    (b"is32", is32), (b"s8mk", s8mk),          # 16x16       (RLE RGB + mask)
    (b"il32", il32), (b"l8mk", l8mk),          # 32x32       (RLE RGB + mask)
    (b"ic11", png_bytes(art[32])),             # 16x16@2x
    (b"ic12", png_bytes(art[64])),             # 32x32@2x
    (b"ic07", png_bytes(art[128])),            # 128x128
    (b"ic13", png_bytes(art[256])),            # 128x128@2x
    (b"ic08", png_bytes(art[256])),            # 256x256
    (b"ic14", png_bytes(art[512])),            # 256x256@2x
    (b"ic09", png_bytes(art[512])),            # 512x512
    (b"ic10", png_bytes(art[1024])),           # 512x512@2x
]
toc = b"".join(t + struct.pack(">I", 8 + len(d)) for t, d in elements)
body = b"TOC " + struct.pack(">I", 8 + len(toc)) + toc
body += b"".join(t + struct.pack(">I", 8 + len(d)) + d for t, d in elements)
with open("icon.icns", "wb") as f:
    f.write(b"icns" + struct.pack(">I", 8 + len(body)) + body)
print(f"  {'icon.icns':28s} 16, 32, 128, 256, 512 @1x and @2x (16..1024 px)")

for f in os.listdir(tmp):
    os.remove(os.path.join(tmp, f))
os.rmdir(tmp)
PY
