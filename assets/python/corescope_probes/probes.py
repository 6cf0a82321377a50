"""corescope's probes for a Python program (standard library only).

`corescope run -- python3 prog.py` writes this module, as `_corescope_probes`,
into a private directory of its own with a `sitecustomize.py` that installs it
before the program starts. It replaces the program's view of

    threading.Lock, RLock, Semaphore, BoundedSemaphore
    queue.Queue, LifoQueue, PriorityQueue, SimpleQueue
    multiprocessing Lock, RLock, Semaphore, BoundedSemaphore, Queue,
    JoinableQueue (every context: they are patched in their modules)

with probes that behave as the originals and count what happens to them. A
probe is named by the line that created it: `lock = threading.Lock()` on line
4 of counter.py is `lock (counter.py:4)`. Objects created inside the standard
library (a Queue's own mutex, a Condition's lock) stay bare.

The figures go to `probes-PID.bin` in that directory, one file per process,
written in place through a shared memory map and read by corescope at each
tick: nothing the program does ever waits for corescope.

Layout (native byte order, must match src/python_probes/layout.rs): a 64-byte
header (`CSPROBE1`, version, slot size, slot count, pid, slots used) and
SLOTS slots of SLOT bytes: WORDS u64 words (see the indices below), a name
and a type name (UTF-8, NUL-padded). A slot is valid once its KIND is set.

Cost: an uncontended acquire reads no clock (it tries first and times only a
wait); hold times are timed on every contended acquire and on one uncontended
acquire in HOLD_EVERY.
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
# queue's maxsize; NOW/PEAK its in-use count or depth.
LOCK, SEMAPHORE, QUEUE = 1, 2, 3

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


class _State:
    directory = None
    file = None
    serial = 0
    stdlib = None
    registry = weakref.WeakSet()


_state = _State()


class _File:
    """This process's probes file: a header and fixed-size slots."""

    def __init__(self, directory):
        fd = _create(directory)
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


def _create(directory):
    """A new file of this process's: `probes-PID.bin`, or, where a process
    that had this PID before left one, `probes-PID-N.bin`."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    pid = os.getpid()
    for attempt in range(100):
        name = "probes-%d.bin" % pid if not attempt else "probes-%d-%d.bin" % (pid, attempt)
        try:
            return os.open(os.path.join(directory, name), flags, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError("no free name for this process's probes file")


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

    match = _ASSIGN.match(linecache.getline(filename, line))
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
        self._probe_bind(LOCK, _new_key(), name, cls._type)
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
        self.release()

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
        self._probe_bind(LOCK, _new_key(), name, type_name)
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


def _published(cls, type_name):
    """Names a generated class and makes it a module attribute, so that
    pickle (multiprocessing's spawn) finds it in the child by name."""
    name = type_name.replace("mp.", "Mp")
    cls.__name__ = cls.__qualname__ = name
    cls.__module__ = __name__
    globals()[name] = cls
    return cls


def _condition_class(base):
    class Condition(base):
        """threading.Condition: its own lock (when it makes one) is a probed
        RLock named by the Condition's line, typed `Condition`."""

        def __init__(self, lock=None):
            if lock is None:
                name = _site()
                if name is not None:
                    lock = RLock._named(name, "Condition")
            base.__init__(self, lock)

    return _published(Condition, "Condition")


def _semaphore_class(base, type_name):
    bounded = "Bounded" in type_name

    class Probed(base, _Probe):
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


class _Names:
    """Gives each Python thread, and each multiprocessing process, its
    Python name as its kernel name (`comm`, 15 bytes at most), so the thread
    table and the process tree show `worker-1` or `SenderProcess-1` instead
    of `python3`. ctypes is loaded at the first thread or process start; where
    it cannot be, names stay as they are."""

    prctl = None
    tried = False

    @classmethod
    def set(cls, name):
        if not cls.tried:
            cls.tried = True
            try:
                import ctypes

                cls.prctl = ctypes.CDLL(None, use_errno=True).prctl
            except Exception:
                cls.prctl = None
        if cls.prctl is not None:
            try:
                cls.prctl(15, name.encode("utf-8", "replace")[:15], 0, 0, 0)  # PR_SET_NAME
            except Exception:
                pass


def _name_threads(threading):
    original = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        _Names.set(self.name)
        original(self)

    threading.Thread._bootstrap_inner = _bootstrap_inner


def _patch_process(module):
    original = module.BaseProcess._bootstrap

    def _bootstrap(self, *args, **kwargs):
        _Names.set(self.name)
        return original(self, *args, **kwargs)

    module.BaseProcess._bootstrap = _bootstrap


def _forked():
    try:
        _state.file = _File(_state.directory)
    except OSError:
        _state.file = None
    for probe in list(_state.registry):
        probe._probe_rebind()


def install(directory):
    """Installs the probes for this process, writing to `directory`."""
    _state.directory = directory
    _state.stdlib = os.path.dirname(os.__file__) + os.sep
    _state.file = _File(directory)
    _patch_threading()
    import queue

    _patch_queue(queue)
    sys.meta_path.insert(
        0,
        _Patching(
            {
                "multiprocessing.synchronize": _patch_synchronize,
                "multiprocessing.queues": _patch_queues,
                "multiprocessing.connection": _patch_connection,
                "multiprocessing.process": _patch_process,
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
