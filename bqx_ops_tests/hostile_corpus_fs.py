"""Round 5 of the hostile corpus: landing zones whose *file system* is hostile. Each case makes one table
file of a snapshot into something no reader should read as it is, with the reason the quarantine must
give, written by hand; nothing here calls the code under test. (Permissions are not among them: the
tests run as root, which reads a chmod 000 file and a chattr +i one alike; hostile_corpus patches that.)"""

from __future__ import annotations

import os
from pathlib import Path


def make_fifo(path: Path) -> None:  # a reader opening it waits for a writer that never comes
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def make_dangling(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(path.with_name("gone.json"))


def make_link_outside(path: Path) -> None:  # another base's table, valid JSON, outside the data dir
    outside = path.parents[4] / "elsewhere" / path.name
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)


def make_gigantic(path: Path) -> None:  # 200 MB (sparse: no disk used); read whole, gigabytes of objects
    with path.open("r+b") as fh:
        fh.truncate(200 * 1024 * 1024)


def make_half_written(path: Path) -> None:  # read while another process was writing it in place
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


FS_CASES = [  # (table, how its file is made hostile, what the reason must say)
    ("Stages", make_fifo, "not a regular file (a FIFO, socket or device); not read"),
    ("Phases", make_dangling, "a symbolic link to nothing (dangling); not read"),
    ("Tasks", make_link_outside, "a symbolic link to a file outside the landing zone; not read"),
    ("Decisions", make_gigantic, "209,715,200 bytes, more than the 134,217,728 a landing file may hold; not read"),
    ("Learnings", make_half_written, "Unterminated string starting at: line 6"),  # cut inside a string
]

# snapshot folders named as no day is: never read, each reported (``latest`` a link to a real day)
ODD_DAY_FOLDERS = ["2026-02-30", "2026-6-1", "latest", "2025-08-19T00:00", "２０２５-０８-１９"]
