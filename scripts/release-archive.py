#!/usr/bin/env python3
"""Make the standalone archive of the binary for one target, from that target's wheel.

    python3 scripts/release-archive.py --target x86_64-unknown-linux-gnu WHEEL --out dist/

writes dist/scoped-db-<target>.tar.gz (.zip for Windows) holding scoped-db-<target>/scoped-db and
the licenses, and next to it <archive>.sha256 in the format `sha256sum --check` reads. The binary
is the one in the wheel, byte for byte, so the archive and the wheel of a release cannot differ.
Entries carry a fixed time (SOURCE_DATE_EPOCH, else 1980-01-01 as in wheels), so the same wheel
gives the same archive.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import sys
import tarfile
import zipfile
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument(
        "--target", required=True, help="Rust target triple of the wheel"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="directory for the archive"
    )
    args = parser.parse_args()

    windows = "windows" in args.target
    exe = "scoped-db.exe" if windows else "scoped-db"
    members: list[tuple[str, bytes, int]] = []
    with zipfile.ZipFile(args.wheel) as wheel:
        names = wheel.namelist()
        binaries = [
            n for n in names if n.split("/")[-2:] == ["scripts", exe] and ".data/" in n
        ]
        if len(binaries) != 1:
            print(
                f"{args.wheel}: expected one {exe} in the wheel's scripts, found {binaries}",
                file=sys.stderr,
            )
            return 1
        members.append((exe, wheel.read(binaries[0]), 0o755))
        for name in names:
            if ".dist-info/licenses/" in name and not name.endswith("/"):
                members.append((name.rsplit("/", 1)[-1], wheel.read(name), 0o644))
    stamp = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))

    top = f"scoped-db-{args.target}"
    args.out.mkdir(parents=True, exist_ok=True)
    archive = args.out / (top + (".zip" if windows else ".tar.gz"))
    if windows:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data, mode in members:
                info = zipfile.ZipInfo(f"{top}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, data)
    else:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, data, mode in members:
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size = len(data)
                info.mode = mode
                info.mtime = stamp
                info.uname = info.gname = "root"
                tar.addfile(info, io.BytesIO(data))
        # gzip with no file name and a fixed time, for the same bytes every time.
        archive.write_bytes(gzip.compress(buffer.getvalue(), mtime=stamp))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    Path(f"{archive}.sha256").write_text(f"{digest}  {archive.name}\n")
    print(f"{archive} {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
