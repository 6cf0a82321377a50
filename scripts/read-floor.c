/* The floor under a tick's cost: only the /proc reads a sampler must make
 * to show every thread of a process fresh at each tick, and nothing else
 * (no parsing beyond the state letter, no snapshot, no lock table, no polls
 * between ticks, no drawing).
 *
 *   read-floor PID INTERVAL_MS
 *
 * Per tick, for each thread of PID: `schedstat` (did it run?); for a thread
 * that ran, `stat` (state and core) and, if it sleeps, `wchan` (in what);
 * and `status` (context switches) at most every 250 ms. Files stay open and
 * are re-read with pread, as corescope does. Threads are listed once.
 * scripts/watch-cost.sh runs it beside corescope and htop (FLOOR=1). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 4096

struct thread {
    int schedstat, stat, wchan, status;
    char seen[128];
    struct timespec status_at;
};

static int open_file(int pid, const char *tid, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "/proc/%d/task/%s/%s", pid, tid, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static double seconds_between(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: read-floor PID INTERVAL_MS\n");
        return 2;
    }
    int pid = atoi(argv[1]);
    long interval_ns = atol(argv[2]) * 1000000L;
    static struct thread threads[MAX_THREADS];
    int count = 0;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", pid);
    DIR *tasks = opendir(dir);
    if (!tasks) {
        perror(dir);
        return 1;
    }
    for (struct dirent *e; (e = readdir(tasks)) && count < MAX_THREADS;) {
        if (e->d_name[0] == '.')
            continue;
        struct thread *t = &threads[count++];
        t->schedstat = open_file(pid, e->d_name, "schedstat");
        t->stat = open_file(pid, e->d_name, "stat");
        t->wchan = open_file(pid, e->d_name, "wchan");
        t->status = open_file(pid, e->d_name, "status");
    }
    closedir(tasks);

    char buf[4096];
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (int i = 0; i < count; i++) {
            struct thread *t = &threads[i];
            ssize_t n = pread(t->schedstat, buf, sizeof buf - 1, 0);
            if (n <= 0)
                continue;
            buf[n] = 0;
            if (strncmp(buf, t->seen, sizeof t->seen) == 0)
                continue; /* did not run */
            strncpy(t->seen, buf, sizeof t->seen - 1);
            n = pread(t->stat, buf, sizeof buf - 1, 0);
            if (n <= 0)
                continue;
            buf[n] = 0;
            const char *state = strrchr(buf, ')');
            if (state && (state[2] == 'S' || state[2] == 'D'))
                pread(t->wchan, buf, sizeof buf, 0);
            if (seconds_between(t->status_at, now) >= 0.25) {
                pread(t->status, buf, sizeof buf, 0);
                t->status_at = now;
            }
        }
        next.tv_nsec += interval_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec += 1;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
}
