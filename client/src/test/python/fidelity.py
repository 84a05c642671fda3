"""Python values through rmiq, as CPython's own manager passes them: HOST PORT KEYFILE put|get.

'put' puts every value of values() on the task queue in order; 'get' takes as many and checks each
against its own copy: same type, and the same pickle (which covers equality, dict order, shared
references, float bits and Decimal signs; only which strings are one object is left out). Prints 'ok ...' on success.
"""
import array
import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import io
import os
import pickle
import queue
import sys

if os.environ.get('PYTHONHASHSEED') != '0':
    # Set and frozenset order follows string hashes, which each process salts differently.
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED='0'))

import rmiq_manager  # noqa: E402

Point = collections.namedtuple('Point', 'x y')
Job = collections.namedtuple('Job', 'id args')


@dataclasses.dataclass
class Order:
    id: str
    amount: int


class Colour(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    HIGH = 3


class Slotted:
    __slots__ = ('a', 'b')

    def __init__(self, a, b):
        self.a = a
        self.b = b


class Plain:
    def __init__(self, v):
        self.v = v


class Items(list):
    pass


def values():
    shared = [1, 2]
    shared_dict = {'k': 'v'}
    tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    out = [
        # strings equal to the request's method name, inside containers
        ('put', 1), ('x', 'put'), {'a': ('put',)}, ('put_nowait', 2), Job(id=1, args=['put', 'x']),
        frozenset({'put'}), {('put',): 1}, ['put', 'get', 'put'],
        # altered before
        'x\ud800y', decimal.Decimal('NaN'), {'z': 1, 'y': 2, 'x': 3, 'b': 4, 'a': 5}, [shared, shared],
        {'a': shared_dict, 'b': shared_dict},
        # refused before
        datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.timezone.utc),
        datetime.datetime(2026, 12, 3, 10, 0, tzinfo=tz), datetime.time(10, 30, tzinfo=tz),
        decimal.Decimal('sNaN'), decimal.Decimal('Infinity'), decimal.Decimal('-Infinity'),
        Items([1, 2]), collections.deque([1, 2], maxlen=5), array.array('i', [1, 2, 3]), Slotted(1, 'two'),
        # everyday
        0, -1, 7, 2**31, -2**63, 2**64, 2**200, 3.5, -0.0, float('inf'), float('nan'), 'text', 'ünïcødé ✓', '',
        b'bytes', bytearray(b'ba'), None, True, False, [], {}, (), [1, [2, [3]]], {'k': [1.5, None]},
        (1, 'a', None), {1, 2, 3}, frozenset({'a', 'b'}), {1: 'int key', 2.5: 'float key'},
        datetime.date(2026, 12, 3), datetime.datetime(2026, 12, 3, 10, 0, 5, 123), datetime.timedelta(days=1, seconds=3),
        datetime.time(23, 59), decimal.Decimal('1.10'), decimal.Decimal('-0'), fractions.Fraction(1, 3), complex(1, -2),
        Point(1, 2), Order('o-1', 3), Colour.RED, Level.HIGH, ValueError('bad value'), Plain({'nested': [1]}),
        collections.OrderedDict([('b', 1), ('a', 2)]), collections.Counter('aab'), range(3), slice(1, 5, 2),
    ]
    try:
        import zoneinfo
        out.append(datetime.datetime(2026, 12, 3, 10, 0, tzinfo=zoneinfo.ZoneInfo('Europe/Paris')))
    except Exception:
        pass
    return out


class Canonical(pickle._Pickler):
    """A pickle that leaves out which strings are one object: Python code cannot tell, and a Java
    relay gives each its own. Shared lists, dicts and objects still show, as memo references."""

    def memoize(self, obj):
        if not isinstance(obj, (str, bytes)):
            super().memoize(obj)


def canonical(v):
    out = io.BytesIO()
    Canonical(out, 4).dump(v)
    return out.getvalue()


def same(expected, got):
    return type(expected) is type(got) and canonical(expected) == canonical(got)


host, port, keyfile, mode = sys.argv[1:5]
manager = rmiq_manager.connect(sys.argv)
tasks = manager.get_task_queue()
vals = values()
if mode == 'put':
    for v in vals:
        tasks.put(v)
    print('ok put %d values' % len(vals))
elif mode == 'get':
    bad = []
    for i, v in enumerate(vals):
        try:
            got = tasks.get(timeout=10)
        except queue.Empty:
            sys.exit('FAIL: only %d of %d values came back' % (i, len(vals)))
        if not same(v, got):
            bad.append('%d: %r (%s) came back as %r (%s)' % (i, v, type(v).__name__, got, type(got).__name__))
    if bad:
        print('FAIL: %d of %d altered:\n%s' % (len(bad), len(vals), '\n'.join(bad)))
        sys.exit(1)
    print('ok %d values identical' % len(vals))
else:
    sys.exit('unknown mode ' + mode)
