"""Threads that cannot reach the network: a Linux seccomp filter on the calling thread.

SPARQL engines will fetch other hosts when a query asks them to (``SERVICE``,
and rdflib's ``FROM`` loading). ecgraph refuses such queries from their parse,
but Oxigraph's parser is not reachable from Python, so the guarantee is given
one level lower: the thread (or worker process) that evaluates a query first
calls :func:`forbid_network`, after which the kernel answers ``EPERM`` to every
``socket()`` other than a local ``AF_UNIX`` one and to every ``connect()``.
Whatever the query text, the engine then cannot open a connection.

The filter is per thread (its children inherit it) and cannot be removed, so it
is installed in a thread or process made for the purpose, never in the caller's.
:func:`available` says whether this kernel and CPU support it (Linux on x86-64
or AArch64); elsewhere callers fall back to refusing more.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_AF_UNIX = 1

# machine -> (AUDIT_ARCH_*, socket, connect, first number of an ABI that is not the native one)
_ARCHES = {
    "x86_64": (0xC000003E, 41, 42, 0x40000000),  # x32 syscalls have bit 30 set
    "aarch64": (0xC00000B7, 198, 203, None),
}

# classic BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06


def available() -> bool:
    """Whether :func:`forbid_network` can work here (Linux, x86-64 or AArch64)."""
    return sys.platform.startswith("linux") and platform.machine() in _ARCHES


def _program() -> tuple[bytes, int]:
    arch, nr_socket, nr_connect, foreign = _ARCHES[platform.machine()]
    deny = _SECCOMP_RET_ERRNO | errno.EPERM
    # seccomp_data: int nr; u32 arch; u64 ip; u64 args[6] -> nr at 0, arch at 4, args[0] low word at 16
    code = [
        (_LD_W_ABS, 0, 0, 4),
        (_JEQ_K, 1, 0, arch),          # native ABI: go on
        (_RET_K, 0, 0, deny),          # any other ABI (i386 socketcall...): refused
        (_LD_W_ABS, 0, 0, 0),
    ]
    if foreign is not None:
        code += [(_JGE_K, 0, 1, foreign), (_RET_K, 0, 0, deny)]
    code += [
        (_JEQ_K, 0, 1, nr_connect),
        (_RET_K, 0, 0, deny),
        (_JEQ_K, 0, 3, nr_socket),
        (_LD_W_ABS, 0, 0, 16),         # the address family
        (_JEQ_K, 1, 0, _AF_UNIX),
        (_RET_K, 0, 0, deny),
        (_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
    ]
    return b"".join(struct.pack("HBBI", *c) for c in code), len(code)


class NetworkGuardError(OSError):
    """The filter could not be installed."""


def forbid_network() -> None:
    """Forbid the calling thread (and the threads and processes it starts) to open network connections.

    Raises :class:`NetworkGuardError` where the filter is not available.
    """
    if not available():
        raise NetworkGuardError(f"no network guard on {sys.platform}/{platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    code, length = _program()
    buffer = ctypes.create_string_buffer(code, len(code))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    program = Program(length, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise NetworkGuardError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.cast(ctypes.pointer(program), ctypes.c_void_p),
                  0, 0) != 0:
        raise NetworkGuardError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
