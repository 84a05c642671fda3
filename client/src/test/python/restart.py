"""What a Python client sees across a server restart, and the reconnect the README shows.

HOST PORT KEYFILE GOFILE: puts 1, waits until GOFILE exists (the test has restarted the server by
then), tries three puts on the old proxy and prints each error's type, then drops its proxies,
connects again and puts 3.
"""
import os
import sys
import time

from rmiq_manager import connect

m = connect()
tasks = m.get_task_queue()
tasks.put(1)
print('put ok', flush=True)
deadline = time.time() + 60
while not os.path.exists(sys.argv[4]) and time.time() < deadline:
    time.sleep(0.05)
for _ in range(3):
    try:
        tasks.put(2)
        print('put ok')
    except Exception as e:
        print('error', type(e).__name__)
# The README's reconnect: drop every proxy of the old connection (this thread keeps one
# connection per server address until its last proxy goes), then connect as at the start.
del tasks, m
m = connect()
tasks = m.get_task_queue()
tasks.put(3)
print('reconnected, qsize', tasks.qsize())
