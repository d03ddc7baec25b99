"""Folders below the packages root reached one name at a time, never through a symbolic link.

Uploads and deletes hold open the folder they act in and name its entries relative to it (the
POSIX *at calls, Python's dir_fd=), so a link planted on the path, or swapped in after a check,
cannot redirect them into another run's folder or out of the root. No Flask, no DB.
"""
import errno
import os
import shutil
import stat

from mlexp.errors import InvalidParameter

FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NOT_A_FOLDER = (errno.ENOTDIR, errno.ELOOP)  # what opening a file or a link as a folder gives


class LinkOnPath(InvalidParameter):
    """An upload or delete met a symbolic link on its path: refused, never followed."""

    def __init__(self, relative: str, link: str):
        super().__init__(f"Invalid artifact path {relative!r}: {link!r} is a symbolic link, "
                         "which uploads and deletes do not follow")


def open_folder(root: str, names: list[str], relative: str, *, create: bool = False) -> int:
    """A descriptor of root/names…, opened name by name (made when `create`); the caller closes it.

    Raises:
        LinkOnPath: a name on the way is a symbolic link.
        NotADirectoryError: a name on the way is a file.
        FileNotFoundError: a folder on the way is missing (only without `create`).
    """
    fd = os.open(root, FOLDER_FLAGS)
    try:
        for depth, name in enumerate(names):
            try:
                child = _open_child(fd, name, create)
            except OSError as exc:
                if exc.errno not in _NOT_A_FOLDER:
                    raise
                mode = entry_mode(fd, name)
                if mode is not None and stat.S_ISLNK(mode):
                    raise LinkOnPath(relative, "/".join(names[:depth + 1])) from exc
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", name) from exc
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_child(fd: int, name: str, create: bool) -> int:
    while True:
        try:
            return os.open(name, FOLDER_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
        try:
            os.mkdir(name, dir_fd=fd)
        except FileExistsError:  # another upload made it meanwhile: open that one
            pass


def entry_mode(folder: int, name: str) -> int | None:
    """The st_mode of the entry itself (a link is not followed), None when nothing is there."""
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def remove_entry(folder: int, name: str, mode: int) -> None:
    """Remove a file, a link (only the link) or a whole folder (shutil.rmtree with dir_fd never
    follows a link inside it, and refuses a folder swapped for a link after `mode` was read)."""
    if stat.S_ISDIR(mode):
        shutil.rmtree(name, dir_fd=folder)
    else:
        os.unlink(name, dir_fd=folder)


def remove_quietly(folder: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=folder)
    except FileNotFoundError:
        pass
