"""Download a file with a progress bar and SHA-256 check, written atomically.

The bytes go to a temporary file beside the target and are renamed only after the checksum
matches, so an interrupted or corrupt download never looks like a complete one.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from helpers.data.cache import atomic_path
from helpers.errors import DataError

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest: Path, sha256: str, *, timeout: float = 60) -> Path:
    """Fetch `url` into `dest` unless a file with the right checksum is already there."""
    dest = Path(dest)
    if dest.exists():
        found = sha256_of(dest)
        if found != sha256:
            # Never overwrite what a user put there; they decide whether it goes.
            raise DataError(f"{dest}: SHA-256 is {found}, expected {sha256}; the file is "
                            "damaged or a different file. Delete it to download it again")
        return dest
    try:
        with atomic_path(dest) as tmp:
            h = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
                total = int(response.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                          desc=f"downloading {dest.name}") as bar:
                    while block := response.read(CHUNK):
                        out.write(block)
                        h.update(block)
                        bar.update(len(block))
            if h.hexdigest() != sha256:
                raise DataError(f"{url}: SHA-256 of the download is {h.hexdigest()}, expected "
                                f"{sha256}; the file was discarded (corrupt or changed upstream)")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        raise DataError(f"{url}: download failed ({e}); check the connection, or download the "
                        f"file yourself and put it at {dest}") from None
    return dest
