"""The seed's task_master.py, unchanged but for connect() instead of start(): HOST PORT KEYFILE [N]."""
import sys
import rmiq_manager

n = int(sys.argv[4]) if len(sys.argv) > 4 else 100
manager = rmiq_manager.connect()
task = manager.get_task_queue()
result = manager.get_result_queue()
for i in range(n):
    task.put(i)
print('put %d tasks' % n, flush=True)
got = {}
for _ in range(n):
    r = result.get(timeout=60)
    n_in, square = r
    got[n_in] = square
ok = all(got.get(i) == i * i for i in range(n))
print('received %d/%d results%s' % (len(got), n, '' if ok else ' WRONG'), flush=True)
sys.exit(0 if ok and len(got) == n else 1)
