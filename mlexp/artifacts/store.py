"""Artifact files under one root folder (instance/packages): path-safe, atomic. No Flask, no DB.

Every path is validated before it touches the disk, uploads land in a temporary file in the
target folder and are renamed into place, so readers never see half a file. Uploads and deletes
reach their folder name by name without following a symbolic link (mlexp.artifacts.nofollow).
"""
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass

from mlexp.errors import InvalidParameter, NotFound
from mlexp.artifacts.nofollow import LinkOnPath, entry_mode, open_folder, remove_entry
from mlexp.artifacts.upload_files import (TEMP_PREFIX, SpooledBody, abandoned, is_temp_name, locked_temp_file,
                                removed_on_failure, rename_into_place)

# File systems refuse longer names (NAME_MAX); the path cap also bounds the folder depth.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_DRIVE_SEGMENT = re.compile(r"^[A-Za-z]:$")


@dataclass(frozen=True)
class FileInfo:
    """One listing entry; `path` is relative to the folder that was listed from."""

    path: str
    is_dir: bool
    file_size: int | None


class UploadTooLarge(InvalidParameter):
    """The body went past the configured maximum upload size."""


def safe_relative_path(path: str | None) -> str:
    """The posix path relative to the root, or "" for the root itself.

    Raises:
        InvalidParameter: `..` segments, an absolute path, a backslash, a NUL byte, a drive letter,
            a control character, a name over MAX_NAME_BYTES or a path over MAX_PATH_BYTES.
    """
    if path is None:
        return ""
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise InvalidParameter(f"Invalid artifact path {path[:80]!r}…: it is longer than "
                               f"{MAX_PATH_BYTES} bytes")
    if "\x00" in path or "\\" in path or any(ord(ch) < 32 for ch in path):
        raise InvalidParameter(f"Invalid artifact path {path!r}: control characters and "
                               "backslashes are not allowed")
    if path.startswith("/") or _DRIVE.match(path):
        raise InvalidParameter(f"Invalid artifact path {path!r}: it must be relative")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise InvalidParameter(f"Invalid artifact path {path!r}: '..' segments are not allowed")
    if any(_DRIVE_SEGMENT.match(p) for p in parts):
        raise InvalidParameter(f"Invalid artifact path {path!r}: drive letters are not allowed")
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for p in parts):
        raise InvalidParameter(f"Invalid artifact path {path!r}: a file or folder name is longer "
                               f"than {MAX_NAME_BYTES} bytes")
    return "/".join(parts)


class ArtifactStore:
    """Files below `root`; paths are relative posix strings checked by safe_relative_path."""

    def __init__(self, root: str):
        self.root = os.path.realpath(root)

    def absolute(self, relative: str) -> str:
        """The real location of a checked relative path; symlinks may not lead outside the root.

        Raises:
            InvalidParameter: the path is unsafe or resolves outside the root.
        """
        relative = safe_relative_path(relative)
        full = os.path.realpath(os.path.join(self.root, *relative.split("/")) if relative else self.root)
        if full != self.root and not full.startswith(self.root + os.sep):
            raise InvalidParameter(f"Invalid artifact path {relative!r}: it leaves the package root")
        return full

    def save(self, relative: str, body: "Iterable[bytes] | SpooledBody", *,
             max_bytes: int | None = None) -> int:
        """Write the body (chunks, or a spooled file) to `relative` atomically; return its size.

        Raises:
            InvalidParameter: unsafe path, the target or a folder on its path is not what it
                should be (a symbolic link is refused, never followed), or the body ended early.
            UploadTooLarge: more than max_bytes arrived; nothing is left behind.
        """
        relative = safe_relative_path(relative)
        if not relative:
            raise InvalidParameter("An artifact upload needs a file path")
        if is_temp_name(relative):
            raise InvalidParameter(f"Cannot upload to {relative!r}: names starting with "
                                   f"{TEMP_PREFIX!r} are reserved for uploads in progress")
        *names, name = relative.split("/")
        try:
            folder = open_folder(self.root, names, relative, create=True)
        except NotADirectoryError as exc:
            raise InvalidParameter(f"Cannot upload to {relative!r}: a folder on its path is a file") from exc
        try:
            mode = entry_mode(folder, name)
            if mode is not None and stat.S_ISDIR(mode):
                raise InvalidParameter(f"Cannot upload to {relative!r}: it is a folder")
            if mode is not None and stat.S_ISLNK(mode):
                raise LinkOnPath(relative, relative)
            if isinstance(body, SpooledBody):
                _check_size(relative, body.size, max_bytes)
                if body.path and body.link_into(folder, name):
                    return body.size
            return _write_new(folder, name, relative, body, max_bytes)
        finally:
            os.close(folder)

    def remove_stale_uploads(self) -> list[str]:
        """Delete the upload temp files that crashed writers left behind; return their paths.

        A live upload, in this process or another one sharing the folder, holds a lock on its
        temp file until the file has been renamed into place; the kernel drops the lock when its
        process dies, so an unlocked temp file is one nobody will ever finish. The walk holds
        each folder open and does not follow links.
        """
        removed = []
        for folder, _dirs, files, folder_fd in os.fwalk(self.root):
            for name in files:
                if name.startswith(TEMP_PREFIX) and abandoned(folder_fd, name):
                    try:
                        os.unlink(name, dir_fd=folder_fd)
                    except FileNotFoundError:  # its upload finished and renamed it meanwhile
                        continue
                    removed.append(os.path.relpath(os.path.join(folder, name), self.root).replace(os.sep, "/"))
        return sorted(removed)

    def file_path(self, relative: str) -> str:
        """The absolute path of an existing file, for streaming it out.

        Raises:
            NotFound: nothing there, or it is a folder.
        """
        full = self.absolute(relative)
        if not os.path.isfile(full) or is_temp_name(relative):
            raise NotFound(f"Artifact {relative!r} does not exist")
        return full

    def list_dir(self, relative: str = "") -> list[FileInfo]:
        """The folder's entries sorted by name; a missing folder lists as empty, as in MLflow."""
        full = self.absolute(relative)
        if not os.path.isdir(full):
            return []
        entries = []
        with os.scandir(full) as it:
            for entry in it:
                if entry.name.startswith(TEMP_PREFIX) or \
                        (entry.is_symlink() and not self.contains(entry.path)):
                    continue
                try:
                    is_dir = entry.is_dir()
                    size = None if is_dir else entry.stat().st_size
                except OSError:  # vanished meanwhile
                    continue
                entries.append(FileInfo(entry.name, is_dir, size))
        return sorted(entries, key=lambda e: e.path)

    def holds_file(self, path: str) -> bool:
        """For a file that a walk of a folder inside the root found (walks do not follow
        linked folders): only a link needs resolving."""
        return not os.path.islink(path) or self.contains(path)

    def contains(self, path: str) -> bool:
        """Whether `path`, symlinks resolved, exists inside the root: a link planted in the
        packages folder that leads elsewhere (or nowhere) is neither listed nor served."""
        real = os.path.realpath(path)
        return (real == self.root or real.startswith(self.root + os.sep)) and os.path.exists(real)

    def walk_files(self, relative: str = "") -> list[FileInfo]:
        """Every file below the folder, with paths relative to it, sorted."""
        base = self.absolute(relative)
        found = []
        for folder, dirs, files in os.walk(base):
            dirs.sort()
            for name in files:
                full = os.path.join(folder, name)
                if name.startswith(TEMP_PREFIX) or not self.holds_file(full):
                    continue
                rel = os.path.relpath(full, base).replace(os.sep, "/")
                found.append(FileInfo(rel, False, os.path.getsize(full)))
        return sorted(found, key=lambda e: e.path)

    def delete(self, relative: str, *, missing_ok: bool = False) -> None:
        """Remove a file or a whole folder; a symbolic link there is removed itself, not its target.

        Raises:
            NotFound: nothing there (unless missing_ok).
            InvalidParameter: an attempt to delete the root itself, or a symbolic link on the
                way to `relative` (refused, never followed).
        """
        relative = safe_relative_path(relative)
        if not relative:
            raise InvalidParameter("Refusing to delete the whole package root")
        if is_temp_name(relative):  # an upload in progress: hidden from deletes as from reads
            raise NotFound(f"Artifact {relative!r} does not exist")
        *names, name = relative.split("/")
        try:
            folder = open_folder(self.root, names, relative)
        except (FileNotFoundError, NotADirectoryError):
            folder = None
        try:
            mode = None if folder is None else entry_mode(folder, name)
            if mode is not None:
                remove_entry(folder, name, mode)
            elif not missing_ok:
                raise NotFound(f"Artifact {relative!r} does not exist")
        finally:
            if folder is not None:
                os.close(folder)


def _write_new(folder: int, name: str, relative: str, body: "Iterable[bytes] | SpooledBody",
               max_bytes: int | None) -> int:
    """Copy the body into a locked temp file in the open `folder` and rename it to `name`."""
    fd, temp = locked_temp_file(folder)
    with removed_on_failure(folder, temp), os.fdopen(fd, "wb") as out:
        if isinstance(body, SpooledBody):
            written = body.copy_to(out.fileno())
            if written != body.size:
                raise InvalidParameter(f"Upload of {relative!r} ended after {written} of "
                                       f"{body.size} bytes")
        else:
            written = 0
            for chunk in body:
                written += len(chunk)
                _check_size(relative, written, max_bytes)
                out.write(chunk)
        out.flush()
        rename_into_place(folder, fd, temp, name)
    return written


def _check_size(relative: str, size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise UploadTooLarge(f"Upload of {relative!r} exceeds the maximum upload size of {max_bytes} bytes")
