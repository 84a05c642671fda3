"""Single behaviours of rmiq's Python endpoint, one per CASE: HOST PORT KEYFILE CASE. Prints 'ok ...' on success."""
import queue
import struct
import sys
import time
from multiprocessing import connection, AuthenticationError
import collections
import fractions
import rmiq_manager

Point = collections.namedtuple('Point', 'x y')
host, port, keyfile, case = sys.argv[1:5]
port = int(port)


def samples():
    # plain values, then values that have no plain Java form and travel as their pickle
    return [7, -2**63, 2.5, 'text', True, None, [1, [2, None]], {'k': [1.5, False]},
            (1, 'a'), {1, 2}, 2**70, b'raw', fractions.Fraction(1, 3), Point(1, 2), {(1, 2): 'tuple key'}]


def method_names():
    # strings equal to the request's own method name or proxy fields, inside containers that travel as pickles
    return [('put', 1), ('x', 'put'), {'a': ('put',)}, frozenset({'put', 'get'}), {'put'}, ('get', 'put', 'qsize'),
            {('put', 2): 'put'}, Point('put', 'get'), ['put', ('put',)]]


if case == 'get-timeout':
    t = rmiq_manager.connect().get_task_queue()
    start = time.monotonic()
    try:
        t.get(timeout=0.5)
        print('FAIL: got an item')
        sys.exit(1)
    except queue.Empty:
        took = time.monotonic() - start
    try:
        t.get_nowait()
        sys.exit('FAIL: get_nowait got an item')
    except queue.Empty:
        pass
    assert 0.4 <= took < 5, took
    print('ok Empty after %.2fs on %s' % (took, sys.version.split()[0]))

elif case == 'roundtrip':
    t = rmiq_manager.connect().get_task_queue()
    values = samples()
    for v in values:
        t.put(v)
    assert t.qsize() == len(values) and not t.empty() and not t.full(), t.qsize()
    for v in values:
        got = t.get(timeout=5)
        assert type(got) is type(v) and got == v, (v, got)
        t.task_done()
    t.join()
    assert t.empty()
    print('ok %d values back with their types on %s' % (len(values), sys.version.split()[0]))

elif case == 'full':
    rmiq_manager.QueueManager.register('get_small_queue')
    q = rmiq_manager.connect().get_small_queue()
    q.put(1)
    q.put(2)
    assert q.full()
    for put in (lambda: q.put(3, timeout=0.2), lambda: q.put_nowait(3)):
        try:
            put()
            sys.exit('FAIL: put on a full queue')
        except queue.Full:
            pass
    assert q.get_nowait() == 1 and q.get_nowait() == 2
    print('ok Full')

elif case == 'wrong-key':
    m = rmiq_manager.QueueManager(address=(host, port), authkey=b'not the key')
    try:
        m.connect()
        sys.exit('FAIL: connected with a wrong key')
    except AuthenticationError as e:
        print('ok AuthenticationError: %s' % e)

elif case == 'garbage' or case == 'oversized':
    with open(keyfile, 'rb') as f:
        key = f.read().strip()
    c = connection.Client((host, port), authkey=key)
    if case == 'garbage':
        c.send_bytes(b'\x80\x04this is not a pickle')
    else:
        c._send(struct.pack('!i', 0x7fffffff))  # a frame header promising 2 GiB, and no body
    kind, message = c.recv()
    assert kind == '#TRACEBACK', kind
    try:
        c.recv_bytes()
        sys.exit('FAIL: the connection stayed open')
    except EOFError:
        pass
    print('ok %s: %s' % (kind, message.strip()))

elif case == 'put-samples':
    t = rmiq_manager.connect().get_task_queue()
    for v in samples():
        t.put(v)
    print('ok put %d' % len(samples()))

elif case == 'get-samples':
    t = rmiq_manager.connect().get_task_queue()
    for v in samples():
        got = t.get(timeout=5)
        assert type(got) is type(v) and got == v, (v, got)
    assert t.empty()
    print('ok got %d' % len(samples()))

elif case == 'put-method-names':
    t = rmiq_manager.connect().get_task_queue()
    for v in method_names():
        t.put(v)
    print('ok put %d' % len(method_names()))

elif case == 'get-method-names':
    t = rmiq_manager.connect().get_task_queue()
    for v in method_names():
        got = t.get(timeout=5)
        assert type(got) is type(v) and got == v, (v, got)
    assert t.empty()
    print('ok got %d' % len(method_names()))

elif case == 'java-serialized':
    from multiprocessing.managers import RemoteError
    t = rmiq_manager.connect().get_task_queue()
    try:
        t.get(timeout=5)
        sys.exit('FAIL: got a Java-serialized item')
    except RemoteError as e:
        assert 'Java-serialized' in str(e), str(e)
        print('ok RemoteError: ' + str(e).strip().splitlines()[1])

elif case == 'garbage-on-proxy':
    t = rmiq_manager.connect().get_task_queue()
    t.put('before')
    conn = t._tls.connection
    conn.send_bytes(b'\x80\x04this is not a pickle')
    kind, message = conn.recv()
    assert kind == '#TRACEBACK', kind
    assert t.get(timeout=5) == 'before', 'the proxy carries on over the same connection'
    print('ok %s and the connection stayed open: %s' % (kind, message.strip()))

elif case == 'calls-as-cpython':
    t = rmiq_manager.connect().get_task_queue()
    try:
        t.get(timeout=-1)
        sys.exit('FAIL: get(timeout=-1) did not raise')
    except ValueError as e:
        assert 'non-negative' in str(e), str(e)
    t.put(item=('kw', 1))
    t.put(('neg', 2), timeout=-1)
    got = [t.get(timeout=5), t.get(timeout=5)]
    assert got == [('kw', 1), ('neg', 2)], got
    print('ok ValueError, put(item=...), put(timeout=-1) on an unbounded queue')

elif case == 'connect-timed':
    start = time.monotonic()
    size = rmiq_manager.connect().get_task_queue().qsize()
    print('ok connected and read qsize %d in %.3f s' % (size, time.monotonic() - start))

else:
    sys.exit('unknown case ' + case)
