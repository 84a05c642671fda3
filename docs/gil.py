# The seed's GIL point, measured: N CPU-bound tasks on 1 thread vs 2 threads of one Python process.
import sys, time, threading, queue

def burn(ms):
    # Same shape as the Java worker's --cpu-ms: compute until this thread used ms of CPU time.
    until = time.thread_time() + ms / 1000
    x = 1
    while time.thread_time() < until:
        for _ in range(1000):
            x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    return x

def run(threads, tasks=60, ms=100):
    q = queue.Queue()
    for _ in range(tasks):
        q.put(ms)
    def work():
        while True:
            try:
                m = q.get_nowait()
            except queue.Empty:
                return
            burn(m)
    start, cpu = time.time(), time.process_time()
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    return time.time() - start, time.process_time() - cpu

print(sys.version.split()[0], "GIL" if getattr(sys, "_is_gil_enabled", lambda: True)() else "no GIL")
for t in (1, 2, 1, 2):
    s, cpu = run(t)
    print(f"threads={t}: {s:.2f} s, {60 / s:.1f} tasks/s, {cpu / s:.2f} cores busy")
