"""Temporary files of uploads: named with TEMP_PREFIX (hidden from every listing), locked while an
upload is live, so a start-up cleanup can tell a crashed upload's leftover from a running one; and
a request body the server already spooled to a file. Every name is relative to a folder the
caller holds open (mlexp.artifacts.nofollow), so no symbolic link is followed. No Flask, no DB."""
import fcntl
import os
import secrets
import stat
from contextlib import contextmanager
from dataclasses import dataclass

from mlexp.artifacts.nofollow import remove_quietly

TEMP_PREFIX = ".mlexp-upload-"
_NEW_FILE = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class SpooledBody:
    """A request body the server already spooled to a file: linked into place when the spool
    is a named file on the same file system (written once), else copied by the kernel."""

    file: object
    size: int
    path: str | None = None  # the spool's name, when it has one

    def link_into(self, folder: int, name: str) -> bool:
        """Hard-link the whole spool to `name` in the open `folder` atomically; False when that
        cannot be done here (another file system, an unnamed spool, a body that is not exactly
        the spool, a name that turned out not to be the spool).

        The spool stays locked by the server until the request ends (serve.py), so the
        temporary name, the same file, is never taken for a crashed upload's leftover meanwhile.
        """
        try:
            self.file.flush()
            fd = self.file.fileno()
            spool = os.fstat(fd)
            if self.file.tell() != 0 or spool.st_size != self.size:
                return False
            temp = _temp_name()
            os.link(self.path, temp, dst_dir_fd=folder, follow_symlinks=False)
        except (OSError, ValueError, AttributeError, TypeError):
            return False
        with removed_on_failure(folder, temp):
            if not os.path.samestat(os.stat(temp, dir_fd=folder, follow_symlinks=False), spool):
                remove_quietly(folder, temp)
                return False
            rename_into_place(folder, fd, temp, name)
        return True

    def copy_to(self, out_fd: int) -> int:
        """Copy `size` bytes from the file's current position; returns the bytes copied."""
        self.file.flush()
        src, offset, copied = self.file.fileno(), self.file.tell(), 0
        while copied < self.size:
            try:
                step = os.copy_file_range(src, out_fd, self.size - copied, offset + copied)
            except OSError:
                step = 0
            if step <= 0:
                break
            copied += step
        if copied < self.size:  # no kernel copy here: finish in user space
            os.lseek(out_fd, copied, os.SEEK_SET)
            self.file.seek(offset + copied)
            while copied < self.size:
                chunk = self.file.read(min(1 << 20, self.size - copied))
                if not chunk:
                    break
                os.write(out_fd, chunk)
                copied += len(chunk)
        return copied


def is_temp_name(relative: str) -> bool:
    """Whether a path names an upload in progress (or one a crash left), hidden from everyone."""
    return any(part.startswith(TEMP_PREFIX) for part in relative.split("/"))


def _temp_name() -> str:
    return TEMP_PREFIX + secrets.token_hex(8)


@contextmanager
def removed_on_failure(folder: int, temp: str):
    """Whatever fails between making the temp file `temp` in the open `folder` and renaming it,
    the temp file goes with it (and the error is raised on), so no half upload is left behind."""
    try:
        yield
    except BaseException:
        remove_quietly(folder, temp)
        raise


def rename_into_place(folder: int, fd: int, temp: str, name: str) -> None:
    """Publish a finished temp file: readable by all, then renamed over `name` in one step, so
    a reader sees the old file or the new one, never half of it."""
    os.fchmod(fd, 0o644)
    os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)


def locked_temp_file(folder: int) -> tuple[int, str]:
    """A new temp file in the open `folder` and its name, locked until closed (after its rename)
    so cleanup can tell it is live."""
    while True:
        name = _temp_name()
        try:
            fd = os.open(name, _NEW_FILE, 0o600, dir_fd=folder)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.path.samestat(os.stat(name, dir_fd=folder, follow_symlinks=False), os.fstat(fd)):
                return fd, name
        except FileNotFoundError:
            pass
        os.close(fd)  # a cleanup removed it before the lock was taken: make another


def abandoned(folder: int, name: str) -> bool:
    """Whether no live upload holds the temp file `name` in the open `folder` (a link, or
    anything but a file, is never taken for one)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    except OSError:  # renamed into place or removed meanwhile, or a link
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True
