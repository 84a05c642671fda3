"""A test worker in the shape of the tutorial's (tutorial/task_worker.py is the tutorial's own): squares ints into [n, n*n] until the task queue stays empty. HOST PORT KEYFILE [IDLE_SECONDS].

Anything that is not an int is echoed back as [type name, value], so that tests can see which Python
type a Java payload arrived as."""
import queue
import sys
import rmiq_manager

idle = float(sys.argv[4]) if len(sys.argv) > 4 else 5
manager = rmiq_manager.connect()
task = manager.get_task_queue()
result = manager.get_result_queue()
print('worker ready', flush=True)
done = 0
while True:
    try:
        n = task.get(timeout=idle)
    except queue.Empty:
        break
    if type(n) is int:
        result.put([n, n * n])
    else:
        result.put([type(n).__name__, n])
    done += 1
print('worker done %d' % done, flush=True)
