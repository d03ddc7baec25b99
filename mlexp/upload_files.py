"""Temporary files of uploads: named with TEMP_PREFIX (hidden from every listing), locked while an
upload is live, so a start-up cleanup can tell a crashed upload's leftover from a running one; and
a request body the server already spooled to a file. No Flask, no DB."""
import os
import secrets
import tempfile
import time
from dataclasses import dataclass

try:
    import fcntl
except ImportError:  # Windows: stale uploads are told apart by age instead
    fcntl = None

TEMP_PREFIX = ".mlexp-upload-"
STALE_UPLOAD_SECONDS = 3600


@dataclass(frozen=True)
class SpooledBody:
    """A request body the server already spooled to a file: linked into place when the spool
    is a named file on the same file system (written once), else copied by the kernel."""

    file: object
    size: int
    path: str | None = None  # the spool's name, when it has one

    def link_into(self, folder: str, target: str) -> bool:
        """Hard-link the whole spool to `target` atomically; False when that cannot be done here
        (another file system, an unnamed spool, a body that is not exactly the spool).

        The spool stays locked by the server until the request ends (serve.py), so the
        temporary name is never taken for a crashed upload's leftover meanwhile.
        """
        try:
            self.file.flush()
            fd = self.file.fileno()
            if self.file.tell() != 0 or os.fstat(fd).st_size != self.size \
                    or os.stat(self.path).st_ino != os.fstat(fd).st_ino:
                return False
            temp_path = os.path.join(folder, TEMP_PREFIX + secrets.token_hex(8))
            os.link(self.path, temp_path)
        except (OSError, ValueError, AttributeError):
            return False
        try:
            os.chmod(temp_path, 0o644)
            os.replace(temp_path, target)
        except BaseException:
            remove_quietly(temp_path)
            raise
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


def locked_temp_file(folder: str) -> tuple[int, str]:
    """A new temp file, locked until closed (after its rename) so cleanup can tell it is live."""
    while True:
        fd, path = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
        if fcntl is None:
            return fd, path
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd, path
        except FileNotFoundError:
            pass
        os.close(fd)  # a cleanup removed it before the lock was taken: make another


def abandoned(temp_path: str) -> bool:
    """Whether no live upload holds the temp file (without flock: untouched for an hour)."""
    try:
        if fcntl is None:
            return time.time() - os.stat(temp_path).st_mtime > STALE_UPLOAD_SECONDS
        fd = os.open(temp_path, os.O_RDONLY)
    except FileNotFoundError:  # renamed into place or removed meanwhile
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
