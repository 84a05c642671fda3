"""A test master in the shape of the tutorial's (tutorial/task_master.py is the tutorial's own), checking the answers ('n * n = m', or [n, n*n]): HOST PORT KEYFILE [N]."""
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
    if isinstance(r, str):  # the tutorial's answer, 'n * n = m', as rmiq's Java worker gives it
        parts = r.split()
        n_in, square = int(parts[0]), int(parts[4])
    else:
        n_in, square = r
    got[n_in] = square
ok = all(got.get(i) == i * i for i in range(n))
print('received %d/%d results%s' % (len(got), n, '' if ok else ' WRONG'), flush=True)
sys.exit(0 if ok and len(got) == n else 1)
