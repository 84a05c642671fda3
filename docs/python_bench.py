#!/usr/bin/env python3
"""One Python client's sequential put+get through rmiq's Python port, beside CPython's own
BaseManager serving queue.Queue (the tutorial's task_master.py) in the same run.

    java -jar server/target/server.jar --python-port 5000
    python3 docs/python_bench.py 5000 rmiq-data/authkey [--pairs 20000] [--reps 3]

Each repetition warms up with 2,000 pairs, then times --pairs; rmiq and the reference alternate.
"""
import argparse
import queue
import time
from multiprocessing.managers import BaseManager


class QueueManager(BaseManager):
    pass


QueueManager.register('get_task_queue')


def pairs_per_second(port, key, n):
    m = QueueManager(address=('127.0.0.1', port), authkey=key)
    m.connect()
    q = m.get_task_queue()
    for i in range(2000):
        q.put(i)
        q.get(timeout=10)
    t0 = time.perf_counter()
    for i in range(n):
        q.put(i)
        q.get(timeout=10)
    return n / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('port', type=int, help="rmiq's --python-port")
    p.add_argument('keyfile', help='the authkey file')
    p.add_argument('--pairs', type=int, default=20000)
    p.add_argument('--reps', type=int, default=3)
    a = p.parse_args()
    key = open(a.keyfile, 'rb').read().strip()

    tasks = queue.Queue()

    class Reference(BaseManager):
        pass

    Reference.register('get_task_queue', callable=lambda: tasks)
    ref = Reference(address=('127.0.0.1', 0), authkey=b'reference-key')
    ref.start()
    try:
        got = {'rmiq': [], 'cpython': []}
        for _ in range(a.reps):
            got['rmiq'].append(pairs_per_second(a.port, key, a.pairs))
            got['cpython'].append(pairs_per_second(ref.address[1], b'reference-key', a.pairs))
        for name, v in got.items():
            print('%-8s put+get pairs/s: %s' % (name, ', '.join('%.0f' % x for x in v)))
        print('rmiq / cpython: %.2f-%.2fx' % (min(got['rmiq']) / max(got['cpython']),
                                             max(got['rmiq']) / min(got['cpython'])))
    finally:
        ref.shutdown()


if __name__ == '__main__':
    main()
