"""corescope's probes for a Python program (standard library only).

`corescope run -- python3 prog.py` writes this module, as `_corescope_probes`,
into a private directory of its own with a `sitecustomize.py` that installs it
before the program starts. It replaces the program's view of

    threading.Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event,
    Barrier
    queue.Queue, LifoQueue, PriorityQueue, SimpleQueue
    multiprocessing Lock, RLock, Semaphore, BoundedSemaphore, Queue,
    JoinableQueue, Pipe (every context: they are patched in their modules)
    concurrent.futures ThreadPoolExecutor, ProcessPoolExecutor

with probes that behave as the originals and count what happens to them. A
probe is named by the line that created it: `lock = threading.Lock()` on line
4 of counter.py is `lock (counter.py:4)`. Objects created inside the standard
library (a Queue's own mutex, a Condition's lock) stay bare.

The figures go to `probes-PID.bin` in that directory, one file per process,
written in place through a shared memory map and read by corescope at each
tick: nothing the program does ever waits for corescope. Beside it,
`names-PID.txt` (same suffix) takes one line per thread start, rename and
end: `t TID NAME`, `t TID` when the thread ended (its TID may be reused),
`p NAME` for a multiprocessing process's name, and `x` when the process
ends (or stops writing names): every name it gave holds no more.

Layout (native byte order, must match src/python_probes/layout.rs): a 64-byte
header (`CSPROBE1`, version, slot size, slot count, pid, slots used) and
SLOTS slots of SLOT bytes: WORDS u64 words (see the indices below), a name
and a type name (UTF-8, NUL-padded). A slot is valid once its KIND is set.

Cost: an uncontended acquire reads no clock (it tries first and times only a
wait); hold times are timed on every contended acquire and on one uncontended
acquire in HOLD_EVERY. An Event's wait on a set flag, a Barrier's last
arrival and an executor's task read no clock either; a Condition's wait, a
wait by nature, is timed.
"""

import _thread
import os
import re
import sys
import weakref
from time import perf_counter_ns as _now

MAGIC = b"CSPROBE1"
VERSION = 1
HEADER = 64
SLOT = 1024
SLOTS = 256
WORDS = 96
NAME_AT = 768
NAME_BYTES = 192
TYPE_AT = 960
TYPE_BYTES = 64
BUCKETS = 40
HOLD_EVERY = 16

# Word indices of a slot.
KIND, KEY, COUNT_A, COUNT_B = 0, 1, 2, 3
WAIT_COUNT, WAIT_SUM, WAIT_MAX = 4, 5, 6
HOLD_COUNT, HOLD_SUM, HOLD_MAX = 7, 8, 9
CAPACITY, NOW, PEAK, WAITERS, PEAK_WAITERS, SENTINELS = 10, 11, 12, 13, 14, 15
WAIT_HIST, HOLD_HIST = 16, 56

# KIND values. COUNT_A/COUNT_B are acquires/contended for locks and
# semaphores, puts/gets for queues; CAPACITY is a semaphore's permits or a
# queue's maxsize (a lock's: the address of the futex word its waiters sleep
# on, 0 when unknown; see `_futex_of`); NOW/PEAK its in-use count or depth.
LOCK, SEMAPHORE, QUEUE = 1, 2, 3
# The kinds below have no hold times: words 7 (EXTRA) and 15 (SENTINELS)
# carry another count.
#   EVENT: COUNT_A sets, COUNT_B clears, EXTRA waits, NOW 1 while set,
#     WAITERS/PEAK_WAITERS blocked waiters, SENTINELS waits timed out, WAIT
#     the waits that blocked.
#   BARRIER: CAPACITY parties, COUNT_A arrivals, COUNT_B trips, NOW/PEAK
#     threads arrived and not yet gone, SENTINELS BrokenBarrierErrors, WAIT
#     the waits of all but the last arrival.
#   CONDITION: COUNT_A waits, COUNT_B notify calls, EXTRA waiters notified,
#     WAITERS/PEAK_WAITERS, SENTINELS waits timed out, WAIT every wait.
#   EXECUTOR: CAPACITY max_workers, COUNT_A submitted, COUNT_B started,
#     EXTRA finished, SENTINELS cancelled, NOW/PEAK busy workers (in the
#     process that runs the tasks), PEAK_WAITERS most pending (submitted,
#     not started nor cancelled; a thread pool's only).
EVENT, BARRIER, CONDITION, EXECUTOR = 4, 5, 6, 7
EXTRA = HOLD_COUNT

# Files whose frames are skipped to find the line that made a primitive:
# multiprocessing's context methods, and Value/Array, whose lock is named by
# the line that made the Value or Array.
_PASSED_THROUGH = (
    "multiprocessing/context.py",
    "multiprocessing/sharedctypes.py",
    "_corescope_probes.py",
)
_DUMMY = memoryview(bytearray(WORDS * 8)).cast("Q")
_ASSIGN = re.compile(r"\s*([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*(?::[^=]*)?=(?!=)")
_WITH_AS = re.compile(r"\s*(?:async\s+)?with\s.*\bas\s+([A-Za-z_]\w*)\s*:")


# Names written per process at most, and bytes of each.
NAMES_MAX = 4096
NAME_MAX_BYTES = 96


class _State:
    directory = None
    file = None
    serial = 0
    stdlib = None
    registry = weakref.WeakSet()
    # Executors' slots in this process, by key: a task run in a worker
    # process finds (or makes) its executor's slot there.
    executors = {}
    exec_guard = _thread.allocate_lock()
    names_guard = _thread.allocate_lock()


_state = _State()


class _File:
    """This process's probes file: a header and fixed-size slots."""

    def __init__(self, directory):
        fd, suffix = _create(directory)
        self.names = _Names(directory, suffix)
        try:
            size = HEADER + SLOT * SLOTS
            os.ftruncate(fd, size)
            import mmap

            self.map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self.map[0:8] = MAGIC
        self.header = memoryview(self.map)[8:32].cast("I")
        self.header[0] = VERSION
        self.header[1] = SLOT
        self.header[2] = SLOTS
        self.header[3] = os.getpid()
        self.used = 0
        self.guard = _thread.allocate_lock()

    def slot(self, kind, key, name, type_name):
        """A fresh slot for one probe, or the dummy when the file is full."""
        with self.guard:
            if self.used >= SLOTS:
                return _DUMMY
            index = self.used
            self.used += 1
        base = HEADER + index * SLOT
        self.map[base + NAME_AT : base + NAME_AT + NAME_BYTES] = _padded(name, NAME_BYTES)
        self.map[base + TYPE_AT : base + TYPE_AT + TYPE_BYTES] = _padded(type_name, TYPE_BYTES)
        words = memoryview(self.map)[base : base + WORDS * 8].cast("Q")
        words[KEY] = key
        words[KIND] = kind
        with self.guard:
            self.header[4] = max(self.header[4], index + 1)
        return words


_FLAGS = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _create(directory):
    """A new file of this process's and its suffix: `probes-PID.bin`, or,
    where a process that had this PID before left one, `probes-PID-N.bin`."""
    pid = os.getpid()
    for attempt in range(100):
        suffix = "%d" % pid if not attempt else "%d-%d" % (pid, attempt)
        try:
            fd = os.open(os.path.join(directory, "probes-%s.bin" % suffix), os.O_RDWR | _FLAGS, 0o600)
            return fd, suffix
        except FileExistsError:
            continue
    raise FileExistsError("no free name for this process's probes file")


class _Names:
    """This process's `names-SUFFIX.txt`: a line per thread start, rename
    and end, appended in one write each (never read back here)."""

    def __init__(self, directory, suffix):
        path = os.path.join(directory, "names-%s.txt" % suffix)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | _FLAGS, 0o600)
        self.written = 0

    def write(self, line):
        if self.written >= NAMES_MAX:
            return
        self.written += 1
        if self.written == NAMES_MAX:
            # No more lines: the names written cannot be kept up to date.
            line = b"x\n"
        try:
            os.write(self.fd, line)
        except OSError:
            pass

    def thread(self, tid, name):
        """Thread `tid` is called `name`; None: it ended."""
        if name is None:
            self.write(b"t %d\n" % tid)
        else:
            self.write(b"t %d %s\n" % (tid, _line(name)))

    def process(self, name):
        self.write(b"p %s\n" % _line(name))

    def ended(self):
        """The process ends: none of its names holds any more."""
        self.written = 0
        self.write(b"x\n")


def _line(name):
    """A name as one line's bytes (corescope sanitises them again)."""
    raw = str(name).replace("\n", " ").replace("\r", " ")
    return raw.encode("utf-8", "replace")[:NAME_MAX_BYTES]


def _names():
    return _state.file.names if _state.file is not None else None


def _padded(text, size):
    raw = text.encode("utf-8", "replace")[: size - 1]
    return raw + b"\0" * (size - len(raw))


def _new_key():
    _state.serial += 1
    return (os.getpid() << 32) | _state.serial


def _bucket(ns):
    return min(ns.bit_length(), BUCKETS - 1)


def _record_wait(w, ns):
    w[WAIT_COUNT] += 1
    w[WAIT_SUM] += ns
    if ns > w[WAIT_MAX]:
        w[WAIT_MAX] = ns
    w[WAIT_HIST + _bucket(ns)] += 1


def _record_hold(w, ns):
    w[HOLD_COUNT] += 1
    w[HOLD_SUM] += ns
    if ns > w[HOLD_MAX]:
        w[HOLD_MAX] = ns
    w[HOLD_HIST + _bucket(ns)] += 1


def _waiting(w, change):
    """Counts a thread that starts or stops waiting for a lock. Done outside
    the lock: exact under the GIL (no switch inside these few operations on
    a memoryview), approximate on a free-threaded build."""
    waiters = w[WAITERS] + change
    w[WAITERS] = waiters if waiters > 0 else 0
    if waiters > w[PEAK_WAITERS]:
        w[PEAK_WAITERS] = waiters


def _site():
    """`var (file.py:LINE)` of the code that created a primitive, or None
    when that code is the standard library's (or this module's)."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.endswith(_PASSED_THROUGH):
            frame = frame.f_back
            continue
        break
    if frame is None:
        return None
    filename = frame.f_code.co_filename
    if filename.startswith(("<frozen", _state.stdlib)):
        return None
    line = frame.f_lineno
    where = "%s:%d" % (os.path.basename(filename), line)
    import linecache

    text = linecache.getline(filename, line)
    match = _ASSIGN.match(text) or _WITH_AS.match(text)
    return "%s (%s)" % (match.group(1), where) if match else where


class _Probe:
    """What every probe has: its slot, rebound to a fresh one in a forked
    child (one writer per slot per process). The child's slot keeps the key:
    corescope adds up the processes' slots of one key, so an object made
    before a fork is one row, whether the processes share it (a
    multiprocessing queue) or each has its copy (a threading lock)."""

    __slots__ = ()

    def _probe_bind(self, kind, key, name, type_name):
        self._probe = (kind, key, name, type_name)
        self._w = _state.file.slot(kind, key, name, type_name) if _state.file else _DUMMY
        _state.registry.add(self)
        return self._w

    def _probe_rebind(self):
        capacity = self._w[CAPACITY]
        self._probe_bind(*self._probe)
        self._w[CAPACITY] = capacity


# Where an object's own fields begin: after its header, whatever the build.
_HEAD = object.__basicsize__


def _futex_of(lock):
    """The address of the futex word a thread blocked on `lock` (a
    `_thread.lock` or `_thread.RLock`) sleeps on, or 0. CPython (3.6 to
    3.13) keeps the lock's semaphore as a pointer right after the object's
    header, and the semaphore's count is its first word. corescope only
    matches the address with those the kernel shows threads waiting on, so
    where this guess is wrong (another build, another interpreter) nothing
    is named by it."""
    # Only CPython's id() is an address, and only an object with a pointer's
    # room after its header is read: never a byte outside the lock.
    if sys.implementation.name != "cpython" or type(lock).__basicsize__ < _HEAD + 8:
        return 0
    try:
        import ctypes

        return ctypes.c_void_p.from_address(id(lock) + _HEAD).value or 0
    except Exception:
        return 0


class Lock(_Probe):
    """threading.Lock, counted."""

    __slots__ = ("_lock", "_w", "_t0", "_probe", "__weakref__")
    _type = "Lock"

    def __new__(cls, *args, **kwargs):
        name = _site()
        if name is None:
            return _bare["Lock"]()
        self = object.__new__(cls)
        self._lock = _bare[cls._type]()
        self._t0 = 0
        self._probe_bind(LOCK, _new_key(), name, cls._type)[CAPACITY] = _futex_of(self._lock)
        return self

    def acquire(self, blocking=True, timeout=-1):
        lock = self._lock
        if lock.acquire(False):
            # `_t0` is 0 here: every release clears it.
            w = self._w
            n = w[COUNT_A] + 1
            w[COUNT_A] = n
            if not n % HOLD_EVERY:
                self._t0 = _now()
            return True
        if not blocking:
            return False
        w = self._w
        _waiting(w, 1)
        asked = _now()
        try:
            if not lock.acquire(True, timeout):
                return False
        finally:
            _waiting(w, -1)
        got = _now()
        w[COUNT_A] += 1
        w[COUNT_B] += 1
        _record_wait(w, got - asked)
        self._t0 = got
        return True

    __enter__ = acquire

    def release(self):
        t0 = self._t0
        if t0:
            self._t0 = 0
            _record_hold(self._w, _now() - t0)
        self._lock.release()

    def __exit__(self, exc_type, exc, tb):
        t0 = self._t0
        if t0:
            self._t0 = 0
            _record_hold(self._w, _now() - t0)
        self._lock.release()

    def locked(self):
        return self._lock.locked()

    def _at_fork_reinit(self):
        self._lock._at_fork_reinit()
        self._t0 = 0
        # A fresh semaphore, at a new address.
        self._w[CAPACITY] = _futex_of(self._lock)

    def _is_owned(self):
        if self._lock.acquire(False):
            self._lock.release()
            return False
        return True

    def __repr__(self):
        return "<probed %r %s>" % (self._lock, self._probe[2])


class RLock(Lock):
    """threading.RLock, counted: only the outermost acquire and release."""

    __slots__ = ("_depth",)
    _type = "RLock"

    def __exit__(self, exc_type, exc, tb):
        if self._depth == 1:
            t0 = self._t0
            if t0:
                self._t0 = 0
                _record_hold(self._w, _now() - t0)
        self._lock.release()
        self._depth -= 1

    def __new__(cls, *args, **kwargs):
        name = _site()
        if name is None:
            return _bare["RLock"]()
        return cls._named(name, "RLock")

    @classmethod
    def _named(cls, name, type_name):
        self = object.__new__(cls)
        self._lock = _bare["RLock"]()
        self._t0 = 0
        self._depth = 0
        self._probe_bind(LOCK, _new_key(), name, type_name)[CAPACITY] = _futex_of(self._lock)
        return self

    def acquire(self, blocking=True, timeout=-1):
        lock = self._lock
        if lock.acquire(False):
            self._depth += 1
            if self._depth == 1:
                w = self._w
                n = w[COUNT_A] + 1
                w[COUNT_A] = n
                if not n % HOLD_EVERY:
                    self._t0 = _now()
            return True
        if not blocking:
            return False
        w = self._w
        _waiting(w, 1)
        asked = _now()
        try:
            if not lock.acquire(True, timeout):
                return False
        finally:
            _waiting(w, -1)
        got = _now()
        self._depth += 1
        w[COUNT_A] += 1
        w[COUNT_B] += 1
        _record_wait(w, got - asked)
        self._t0 = got
        return True

    __enter__ = acquire

    def release(self):
        if self._depth == 1:
            t0 = self._t0
            if t0:
                self._t0 = 0
                _record_hold(self._w, _now() - t0)
        self._lock.release()
        self._depth -= 1

    def _is_owned(self):
        return self._lock._is_owned()

    def _release_save(self):
        depth, self._depth = self._depth, 0
        self._t0 = 0
        return (self._lock._release_save(), depth)

    def _acquire_restore(self, state):
        self._lock._acquire_restore(state[0])
        self._depth = state[1]

    def _at_fork_reinit(self):
        self._lock._at_fork_reinit()
        self._t0 = 0
        self._depth = 0
        self._w[CAPACITY] = _futex_of(self._lock)


def _published(cls, type_name):
    """Names a generated class and makes it a module attribute, so that
    pickle (multiprocessing's spawn) finds it in the child by name."""
    name = type_name.replace("mp.", "Mp")
    cls.__name__ = cls.__qualname__ = name
    cls.__module__ = __name__
    globals()[name] = cls
    return cls


class _StandsFor(type):
    """The metaclass of a probe class that the standard library's own
    objects are not instances of (made inside it, they stay bare): to
    `isinstance`, those are instances of the probe class that took the bare
    class's place (`threading.Condition`), as they were before it did. Its
    subclasses, the program's, keep the usual check."""

    def __instancecheck__(cls, obj):
        if type.__instancecheck__(cls, obj):
            return True
        bare = cls.__dict__.get("_bare_class")
        return bare is not None and isinstance(obj, bare)


def _condition_class(base):
    class Condition(base, _Probe, metaclass=_StandsFor):
        """threading.Condition, counted: waits (each timed: a wait by nature),
        notify calls and the waiters they notified, under the Condition's
        own lock (its caller holds it). Its own lock, when it makes one, is a
        probed RLock named by the Condition's line, typed `Condition`.
        Made inside the standard library (an Event's, a Queue's), it is the
        bare Condition."""

        def __new__(cls, *args, **kwargs):
            name = _site()
            if name is None and cls is Condition:
                return base(*args, **kwargs)
            self = base.__new__(cls)
            self._probe_name = name
            return self

        def __init__(self, lock=None):
            name = self._probe_name
            if name is None:
                # A subclass of the program's made inside the standard
                # library: itself, uncounted.
                self._w = _DUMMY
                base.__init__(self, lock)
                return
            if lock is None:
                lock = RLock._named(name, "Condition")
            base.__init__(self, lock)
            self._probe_bind(CONDITION, _new_key(), name, "Condition")

        def wait(self, timeout=None):
            w = self._w
            w[COUNT_A] += 1
            waiters = w[WAITERS] + 1
            w[WAITERS] = waiters
            if waiters > w[PEAK_WAITERS]:
                w[PEAK_WAITERS] = waiters
            got = False
            asked = _now()
            try:
                got = base.wait(self, timeout)
            finally:
                # base.wait holds the lock again when it returns or raises.
                w = self._w
                _record_wait(w, _now() - asked)
                w[WAITERS] = w[WAITERS] - 1 if w[WAITERS] else 0
                if not got:
                    w[SENTINELS] += 1
            return got

        def notify(self, n=1):
            waiters = self._waiters
            if not waiters:
                # Nobody to wake: only the check base.notify would make.
                if not self._is_owned():
                    raise RuntimeError("cannot notify on un-acquired lock")
                self._w[COUNT_B] += 1
                return
            woken = min(n, len(waiters))
            base.notify(self, n)
            w = self._w
            w[COUNT_B] += 1
            w[EXTRA] += woken

    Condition._bare_class = base
    return _published(Condition, "Condition")


def _event_class(base):
    class Event(base, _Probe, metaclass=_StandsFor):
        """threading.Event, counted under its own Condition: sets, clears,
        waits, waiters; only a wait that blocks is timed."""

        def __new__(cls, *args, **kwargs):
            name = _site()
            if name is None and cls is Event:
                return base(*args, **kwargs)
            self = base.__new__(cls)
            self._probe_name = name
            return self

        def __init__(self):
            base.__init__(self)
            if self._probe_name is None:
                self._w = _DUMMY
                return
            self._probe_bind(EVENT, _new_key(), self._probe_name, "Event")

        def set(self):
            with self._cond:
                self._flag = True
                self._cond.notify_all()
                w = self._w
                w[COUNT_A] += 1
                w[NOW] = 1

        def clear(self):
            with self._cond:
                self._flag = False
                w = self._w
                w[COUNT_B] += 1
                w[NOW] = 0

        def wait(self, timeout=None):
            with self._cond:
                w = self._w
                w[EXTRA] += 1
                if self._flag:
                    return True
                waiters = w[WAITERS] + 1
                w[WAITERS] = waiters
                if waiters > w[PEAK_WAITERS]:
                    w[PEAK_WAITERS] = waiters
                signaled = False
                asked = _now()
                try:
                    signaled = self._cond.wait(timeout)
                finally:
                    w = self._w
                    _record_wait(w, _now() - asked)
                    w[WAITERS] = w[WAITERS] - 1 if w[WAITERS] else 0
                    if not signaled:
                        w[SENTINELS] += 1
                return signaled

    Event._bare_class = base
    return _published(Event, "Event")


def _barrier_class(base):
    from threading import BrokenBarrierError

    class Barrier(base, _Probe, metaclass=_StandsFor):
        """threading.Barrier, counted in its own hooks, which run under its
        lock: arrivals, trips, threads arrived and not yet gone (never more
        than its parties), broken waits; the last arrival reads no clock."""

        def __new__(cls, *args, **kwargs):
            name = _site()
            if name is None and cls is Barrier:
                return base(*args, **kwargs)
            self = base.__new__(cls)
            self._probe_name = name
            return self

        def __init__(self, parties, action=None, timeout=None):
            base.__init__(self, parties, action, timeout)
            if self._probe_name is None:
                self._w = _DUMMY
                return
            w = self._probe_bind(BARRIER, _new_key(), self._probe_name, "Barrier")
            w[CAPACITY] = parties

        def _arrived(self):
            w = self._w
            w[COUNT_A] += 1
            here = self._count
            w[NOW] = here
            if here > w[PEAK]:
                w[PEAK] = here
            return w

        def _release(self):
            w = self._arrived()
            base._release(self)
            w[COUNT_B] += 1

        def _wait(self, timeout):
            self._arrived()
            asked = _now()
            try:
                base._wait(self, timeout)
            finally:
                _record_wait(self._w, _now() - asked)

        def _exit(self):
            base._exit(self)
            self._w[NOW] = self._count

        def wait(self, timeout=None):
            try:
                return base.wait(self, timeout)
            except BrokenBarrierError:
                with self._cond:
                    self._w[SENTINELS] += 1
                raise

    Barrier._bare_class = base
    return _published(Barrier, "Barrier")


class _Counted:
    """A task given to a probed executor: counts its start, the busy
    workers and its end in the slot of its executor's key in the process
    that runs it (the executor's, or a pool worker's, which it pickles into
    by this module's name)."""

    __slots__ = ("fn", "key", "name", "type_name")

    def __init__(self, fn, key, name, type_name):
        self.fn, self.key, self.name, self.type_name = fn, key, name, type_name

    def __reduce__(self):
        return (_Counted, (self.fn, self.key, self.name, self.type_name))

    def __call__(self, *args, **kwargs):
        w = _state.executors.get(self.key)
        if w is None:
            w = _state.file.slot(EXECUTOR, self.key, self.name, self.type_name) if _state.file else _DUMMY
            _state.executors[self.key] = w
        guard = _state.exec_guard
        with guard:
            w[COUNT_B] += 1
            busy = w[NOW] + 1
            w[NOW] = busy
            if busy > w[PEAK]:
                w[PEAK] = busy
        try:
            return self.fn(*args, **kwargs)
        finally:
            with guard:
                w[NOW] = w[NOW] - 1 if w[NOW] else 0
                w[EXTRA] += 1


def _executor_class(base, type_name):
    in_process = type_name == "ThreadPoolExecutor"

    class Probed(base, _Probe):
        """A concurrent.futures executor, counted: tasks submitted, started,
        finished and cancelled, workers busy. Made inside the standard
        library (asyncio's default one), it counts nothing."""

        def __init__(self, max_workers=None, *args, **kwargs):
            base.__init__(self, max_workers, *args, **kwargs)
            name = _site()
            if name is None:
                self._w = _DUMMY
                self._probe = None
                return
            w = self._probe_bind(EXECUTOR, _new_key(), name, type_name)
            w[CAPACITY] = self._max_workers
            _state.executors[self._probe[1]] = w

        def _probe_rebind(self):
            _Probe._probe_rebind(self)
            _state.executors[self._probe[1]] = self._w

        def submit(self, fn, /, *args, **kwargs):
            probe = self._probe
            if probe is None:
                return base.submit(self, fn, *args, **kwargs)
            with _state.exec_guard:
                self._w[COUNT_A] += 1
            try:
                future = base.submit(self, _Counted(fn, probe[1], probe[2], type_name), *args, **kwargs)
            except BaseException:
                with _state.exec_guard:
                    self._w[COUNT_A] -= 1
                raise
            if in_process:
                with _state.exec_guard:
                    w = self._w
                    pending = w[COUNT_A] - w[COUNT_B] - w[SENTINELS]
                    if pending > w[PEAK_WAITERS]:
                        w[PEAK_WAITERS] = pending
            future.add_done_callback(self._probe_done)
            return future

        def _probe_done(self, future):
            if future.cancelled():
                with _state.exec_guard:
                    self._w[SENTINELS] += 1

    return _published(Probed, type_name)


def _semaphore_class(base, type_name):
    bounded = "Bounded" in type_name

    class Probed(base, _Probe, metaclass=_StandsFor):
        """A threading semaphore, counted: acquires, waits, in use, waiters."""

        def __new__(cls, *args, **kwargs):
            name = _site()
            if name is None:
                return base(*args, **kwargs)
            self = base.__new__(cls)
            self._probe_name = name
            self._probe_type = type_name
            return self

        def __init__(self, value=1):
            # BoundedSemaphore.__init__ calls threading.Semaphore's, which is
            # this class's sibling: the first to get here binds the slot,
            # with the type the object was made as.
            # A bare BoundedSemaphore (made inside the standard library) gets
            # here too, and stays bare.
            base.__init__(self, value)
            if "_w" in self.__dict__ or "_probe_name" not in self.__dict__:
                return
            w = self._probe_bind(SEMAPHORE, _new_key(), self._probe_name, self._probe_type)
            w[CAPACITY] = value

        # The bookkeeping happens under the semaphore's own lock (its
        # Condition's, `_cond`), as its count does: in use never exceeds the
        # permits, and an uncontended acquire takes that lock once.
        def acquire(self, blocking=True, timeout=None):
            cond = self._cond
            with cond:
                w = self._w
                if self._value > 0:
                    self._value -= 1
                    w[COUNT_A] += 1
                    in_use = w[NOW] + 1
                    w[NOW] = in_use
                    if in_use > w[PEAK]:
                        w[PEAK] = in_use
                    return True
                if not blocking:
                    return False
                w[WAITERS] += 1
                if w[WAITERS] > w[PEAK_WAITERS]:
                    w[PEAK_WAITERS] = w[WAITERS]
            got = False
            asked = _now()
            try:
                got = base.acquire(self, True, timeout)
            finally:
                waited = _now() - asked
                with cond:
                    w = self._w
                    w[WAITERS] -= 1
                    if got:
                        w[COUNT_A] += 1
                        w[COUNT_B] += 1
                        in_use = w[NOW] + 1
                        w[NOW] = in_use
                        if in_use > w[PEAK]:
                            w[PEAK] = in_use
                        _record_wait(w, waited)
            return got

        __enter__ = acquire

        # threading's own release, with the count kept under the same lock.
        def release(self, n=1):
            if n < 1:
                raise ValueError("n must be one or more")
            with self._cond:
                if bounded and self._value + n > self._initial_value:
                    raise ValueError("Semaphore released too many times")
                self._value += n
                w = self._w
                w[NOW] = w[NOW] - n if w[NOW] > n else 0
                self._cond.notify(n)

        def __exit__(self, *exc):
            self.release()

    Probed._bare_class = base
    return _published(Probed, type_name)


def _queue_class(base, type_name):
    base_put, base_get = base._put, base._get

    class Probed(base, _Probe):
        """A queue.Queue (or Lifo/Priority), counted under its own mutex."""

        def __init__(self, maxsize=0):
            base.__init__(self, maxsize)
            name = _site()
            if name is None:
                self._w = _DUMMY
                return
            w = self._probe_bind(QUEUE, _new_key(), name, type_name)
            w[CAPACITY] = max(0, maxsize)

        def _put(self, item):
            base_put(self, item)
            w = self._w
            w[COUNT_A] += 1
            depth = self._qsize()
            w[NOW] = depth
            if depth > w[PEAK]:
                w[PEAK] = depth
            if item is None:
                w[SENTINELS] += 1

        def _get(self):
            item = base_get(self)
            w = self._w
            w[COUNT_B] += 1
            w[NOW] = self._qsize()
            return item

    return _published(Probed, type_name)


def _simple_queue_class(base):
    class SimpleQueue(base, _Probe):
        """queue.SimpleQueue, counted (no mutex of its own: a guard)."""

        def __new__(cls, *args, **kwargs):
            name = _site()
            if name is None:
                return base()
            self = base.__new__(cls)
            self._guard = _thread.allocate_lock()
            self._probe_bind(QUEUE, _new_key(), name, "SimpleQueue")
            return self

        def _probe_rebind(self):
            self._guard = _thread.allocate_lock()
            _Probe._probe_rebind(self)

        def put(self, item, block=True, timeout=None):
            base.put(self, item)
            with self._guard:
                w = self._w
                w[COUNT_A] += 1
                depth = base.qsize(self)
                w[NOW] = depth
                if depth > w[PEAK]:
                    w[PEAK] = depth
                if item is None:
                    w[SENTINELS] += 1

        def put_nowait(self, item):
            self.put(item, False)

        def get(self, block=True, timeout=None):
            item = base.get(self, block, timeout)
            with self._guard:
                w = self._w
                w[COUNT_B] += 1
                w[NOW] = base.qsize(self)
            return item

        def get_nowait(self):
            return self.get(False)

    return _published(SimpleQueue, "SimpleQueue")


def _mp_lock_class(base, kind, type_name):
    class Probed(base, _Probe):
        """A multiprocessing lock or semaphore, counted in each process that
        uses it (corescope adds the processes' counts up by key)."""

        # Created inside the standard library (a Queue's own lock), it stays
        # an instance of this class, for pickle finds the class by its
        # module's name, but counts nothing (key 0).
        def __new__(cls, *args, **kwargs):
            self = base.__new__(cls)
            self._probe_name = _site() if args or kwargs else None
            return self

        def __init__(self, *args, **kwargs):
            base.__init__(self, *args, **kwargs)
            name = self._probe_name
            self._setup(_new_key() if name else 0, name)

        def _setup(self, key, name):
            self._guard = _thread.allocate_lock()
            if not key:
                self._w = _DUMMY
                self._probe = None
                return
            w = self._probe_bind(kind, key, name, type_name)
            if kind == SEMAPHORE:
                w[CAPACITY] = self._semlock.maxvalue if "Bounded" in type_name else self._semlock._get_value()

        def _probe_rebind(self):
            self._guard = _thread.allocate_lock()
            capacity = self._w[CAPACITY]
            _Probe._probe_rebind(self)
            self._w[CAPACITY] = capacity

        def _make_methods(self):
            base._make_methods(self)
            for method in ("acquire", "release"):
                self.__dict__.pop(method, None)

        def __getstate__(self):
            probe = self._probe
            key, name = (probe[1], probe[2]) if probe else (0, None)
            return (base.__getstate__(self), key, name, self._w[CAPACITY])

        def __setstate__(self, state):
            base.__setstate__(self, state[0])
            self._setup(state[1], state[2])
            if state[1]:
                self._w[CAPACITY] = state[3]

        def acquire(self, block=True, timeout=None):
            semlock = self._semlock
            if semlock.acquire(False):
                self._got(0, False)
                return True
            if not block:
                return False
            with self._guard:
                w = self._w
                w[WAITERS] += 1
                if w[WAITERS] > w[PEAK_WAITERS]:
                    w[PEAK_WAITERS] = w[WAITERS]
            asked = _now()
            try:
                got = semlock.acquire(True, timeout)
            finally:
                waited = _now() - asked
                with self._guard:
                    self._w[WAITERS] -= 1
            if got:
                self._got(waited, True)
            return got

        def _got(self, waited, contended):
            with self._guard:
                w = self._w
                w[COUNT_A] += 1
                if contended:
                    w[COUNT_B] += 1
                    _record_wait(w, waited)
                if kind == SEMAPHORE:
                    in_use = max(0, w[CAPACITY] - self._semlock._get_value())
                    w[NOW] = in_use
                    if in_use > w[PEAK]:
                        w[PEAK] = in_use

        def release(self):
            self._semlock.release()

        def __enter__(self):
            return self.acquire()

        def __exit__(self, *exc):
            self.release()

    return _published(Probed, type_name)


def _mp_queue_class(base, type_name):
    class Probed(base, _Probe):
        """A multiprocessing queue, counted in each process that puts or gets."""

        def __init__(self, maxsize=0, *, ctx):
            base.__init__(self, maxsize, ctx=ctx)
            name = _site()
            key = _new_key() if name else 0
            self._setup(key, name, maxsize)

        def _setup(self, key, name, maxsize):
            self._guard = _thread.allocate_lock()
            if not key:
                self._w = _DUMMY
                self._probe = None
                return
            w = self._probe_bind(QUEUE, key, name, type_name)
            w[CAPACITY] = max(0, maxsize)

        def _probe_rebind(self):
            self._guard = _thread.allocate_lock()
            _Probe._probe_rebind(self)

        def __getstate__(self):
            probe = self._probe
            return (base.__getstate__(self), probe[1] if probe else 0, probe[2] if probe else "", self._w[CAPACITY])

        def __setstate__(self, state):
            base.__setstate__(self, state[0])
            self._setup(state[1], state[2], state[3])

        def put(self, obj, block=True, timeout=None):
            base.put(self, obj, block, timeout)
            with self._guard:
                w = self._w
                w[COUNT_A] += 1
                try:
                    depth = self.qsize()
                except NotImplementedError:
                    depth = 0
                w[NOW] = depth
                if depth > w[PEAK]:
                    w[PEAK] = depth
                if obj is None:
                    w[SENTINELS] += 1

        def get(self, block=True, timeout=None):
            item = base.get(self, block, timeout)
            with self._guard:
                self._w[COUNT_B] += 1
            return item

    return _published(Probed, type_name)


_bare = {}


def _patch_threading():
    import threading

    _bare["Lock"] = _thread.allocate_lock
    _bare["RLock"] = threading.RLock
    threading.Lock = Lock
    threading.RLock = RLock
    threading.Condition = _condition_class(threading.Condition)
    threading.Event = _event_class(threading.Event)
    threading.Barrier = _barrier_class(threading.Barrier)
    _name_threads(threading)
    threading.Semaphore = _semaphore_class(threading.Semaphore, "Semaphore")
    threading.BoundedSemaphore = _semaphore_class(threading.BoundedSemaphore, "BoundedSemaphore")


def _patch_queue(module):
    module.Queue = _queue_class(module.Queue, "Queue")
    module.LifoQueue = _queue_class(module.LifoQueue, "LifoQueue")
    module.PriorityQueue = _queue_class(module.PriorityQueue, "PriorityQueue")
    module.SimpleQueue = _simple_queue_class(module.SimpleQueue)


def _patch_synchronize(module):
    module.Lock = _mp_lock_class(module.Lock, LOCK, "mp.Lock")
    module.RLock = _mp_lock_class(module.RLock, LOCK, "mp.RLock")
    module.Semaphore = _mp_lock_class(module.Semaphore, SEMAPHORE, "mp.Semaphore")
    module.BoundedSemaphore = _mp_lock_class(module.BoundedSemaphore, SEMAPHORE, "mp.BoundedSemaphore")


def _patch_connection(module):
    """`Pipe()`: both ends count the objects (or byte messages) sent and
    received through them, in one queue-like probe typed `mp.Pipe`."""
    original = module.Pipe
    base = module.Connection

    class PipeEnd(base, _Probe):
        def send(self, obj):
            base.send(self, obj)
            w = self._w
            w[COUNT_A] += 1
            if obj is None:
                w[SENTINELS] += 1

        def send_bytes(self, buf, offset=0, size=None):
            base.send_bytes(self, buf, offset, size)
            self._w[COUNT_A] += 1

        def recv(self):
            obj = base.recv(self)
            self._w[COUNT_B] += 1
            return obj

        def recv_bytes(self, maxlength=None):
            buf = base.recv_bytes(self, maxlength)
            self._w[COUNT_B] += 1
            return buf

        def recv_bytes_into(self, buf, offset=0):
            size = base.recv_bytes_into(self, buf, offset)
            self._w[COUNT_B] += 1
            return size

    _published(PipeEnd, "mp.PipeEnd")

    def probe(conn, key, name):
        if type(conn) is not base:
            return conn
        conn.__class__ = PipeEnd
        conn._probe_bind(QUEUE, key, name, "mp.Pipe")
        return conn

    def rebuild(original_rebuild, args, key, name):
        return probe(original_rebuild(*args), key, name)

    def reduce(conn):
        original_rebuild, args = module.reduce_connection(conn)
        return rebuild, (original_rebuild, args, conn._probe[1], conn._probe[2])

    def Pipe(duplex=True):
        ends = original(duplex)
        name = _site()
        if name is None:
            return ends
        key = _new_key()
        return tuple(probe(conn, key, name) for conn in ends)

    globals()["_rebuild_pipe_end"] = rebuild
    rebuild.__name__ = rebuild.__qualname__ = "_rebuild_pipe_end"
    import multiprocessing.reduction

    multiprocessing.reduction.register(PipeEnd, reduce)
    module.Pipe = Pipe


def _patch_thread_pool(module):
    module.ThreadPoolExecutor = _executor_class(module.ThreadPoolExecutor, "ThreadPoolExecutor")


def _patch_process_pool(module):
    module.ProcessPoolExecutor = _executor_class(module.ProcessPoolExecutor, "ProcessPoolExecutor")


def _patch_queues(module):
    module.Queue = _mp_queue_class(module.Queue, "mp.Queue")
    module.JoinableQueue = _mp_queue_class(module.JoinableQueue, "mp.JoinableQueue")


class _Patching:
    """Patches a module right after its first import (multiprocessing's are
    not imported unless the program uses them)."""

    def __init__(self, patches):
        self.patches = patches

    def find_spec(self, name, path=None, target=None):
        patch = self.patches.get(name)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, patch)
                return spec
        return None


class _PatchingLoader:
    def __init__(self, loader, patch):
        self.loader = loader
        self.patch = patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.patch(module)


def _name_threads(threading):
    """Writes each thread's name and native id at its start, rename and end
    (`names-PID.txt`); the kernel's names stay as they are. A rename and the
    end are written under one guard, so no name outlives its thread."""
    original = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        _name_thread(self)
        try:
            original(self)
        finally:
            names = _names()
            if names is not None:
                with _state.names_guard:
                    tid = self.__dict__.pop("_corescope_tid", None)
                    if tid is not None:
                        names.thread(tid, None)

    prop = threading.Thread.name

    def set_name(self, value):
        prop.fset(self, value)
        names = _names()
        if names is not None:
            with _state.names_guard:
                tid = self.__dict__.get("_corescope_tid")
                if tid is not None:
                    names.thread(tid, self.name)

    threading.Thread._bootstrap_inner = _bootstrap_inner
    threading.Thread.name = property(prop.fget, set_name, doc=prop.__doc__)


def _name_thread(thread):
    """Writes the name of `thread`, the calling thread (at its start, the
    main thread's at start-up, the forking thread's in a forked child)."""
    names = _names()
    if names is not None:
        with _state.names_guard:
            tid = _thread.get_native_id()
            thread._corescope_tid = tid
            names.thread(tid, thread.name)


def _patch_process(module):
    """A multiprocessing process's main thread takes the process's name
    (`SenderProcess-1`), as does the process."""
    original = module.BaseProcess._bootstrap

    def _bootstrap(self, *args, **kwargs):
        names = _names()
        if names is not None:
            names.process(self.name)
            names.thread(_thread.get_native_id(), self.name)
        try:
            return original(self, *args, **kwargs)
        finally:
            names = _names()
            if names is not None:
                names.ended()

    module.BaseProcess._bootstrap = _bootstrap


def _ended():
    names = _names()
    if names is not None:
        names.ended()


def _forked():
    try:
        _state.file = _File(_state.directory)
    except OSError:
        _state.file = None
    _state.executors = {}
    _state.exec_guard = _thread.allocate_lock()
    _state.names_guard = _thread.allocate_lock()
    for probe in list(_state.registry):
        probe._probe_rebind()
    import threading

    _name_thread(threading.current_thread())


def install(directory):
    """Installs the probes for this process, writing to `directory`."""
    _state.directory = directory
    _state.stdlib = os.path.dirname(os.__file__) + os.sep
    _state.file = _File(directory)
    _patch_threading()
    import queue

    _patch_queue(queue)
    import threading

    _name_thread(threading.current_thread())
    import atexit

    atexit.register(_ended)
    sys.meta_path.insert(
        0,
        _Patching(
            {
                "multiprocessing.synchronize": _patch_synchronize,
                "multiprocessing.queues": _patch_queues,
                "multiprocessing.connection": _patch_connection,
                "multiprocessing.process": _patch_process,
                "concurrent.futures.thread": _patch_thread_pool,
                "concurrent.futures.process": _patch_process_pool,
            }
        ),
    )
    os.register_at_fork(after_in_child=_forked)


def __getattr__(name):
    """A spawned child unpickles `MpQueue` before it imports
    multiprocessing.queues (whose import makes that class): import it now."""
    if name.startswith("Mp") or name == "_rebuild_pipe_end":
        import multiprocessing.connection  # noqa: F401
        import multiprocessing.queues
        import multiprocessing.synchronize  # noqa: F401

        if name in globals():
            return globals()[name]
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
