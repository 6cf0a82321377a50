"""Pool.map of a CPU-bound function, beside threads doing the same work.

`square_sum(n)` adds up the squares below n: pure computing, no waiting.
First four threads (a ThreadPoolExecutor) map it over the same inputs: they
share one GIL, so one computes at a time. Then a Pool of four processes maps
it: each process has its own GIL, and they compute at the same time.

    corescope run -- python3 assets/python/pool_map.py

corescope shows the difference: the cores in use stay near one while the
threads compute, and climb towards the machine's cores while the pool does;
the pool's worker processes appear in the process tree.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool

INPUTS = [3_000_000] * 8


def square_sum(n):
    return sum(i * i for i in range(n))


if __name__ == "__main__":
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as executor:
        results = list(executor.map(square_sum, INPUTS))
    print(f"Threads: {len(results)} results in {time.perf_counter() - start:.2f} s")

    start = time.perf_counter()
    with Pool(processes=4) as pool:  # Create a pool of 4 processes
        results = pool.map(square_sum, INPUTS)  # Apply square_sum to each input
    print(f"Pool:    {len(results)} results in {time.perf_counter() - start:.2f} s")
