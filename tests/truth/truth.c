/* Ground-truth workloads for tests/truth.rs: each measures itself with the
 * kernel's clocks and writes what it measured to the file named by
 * TRUTH_OUT, as `key=value` lines (seconds), when it ends. TRUTH_DELAY_S
 * makes it sleep that long before it starts. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double secs(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double started;

/* Burns `cpu_s` seconds of this thread's own CPU, user and kernel. */
static void burn(double cpu_s) {
    double until = secs(CLOCK_THREAD_CPUTIME_ID) + cpu_s;
    volatile unsigned long x = 0;
    while (secs(CLOCK_THREAD_CPUTIME_ID) < until) {
        for (int i = 0; i < 20000; i++) x += i * i;
        syscall(SYS_getppid);
    }
}

static double children_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void report(double extra_cpu, const char *more) {
    const char *path = getenv("TRUTH_OUT");
    FILE *out = path ? fopen(path, "w") : stdout;
    fprintf(out, "cpu_s=%.6f\nwall_s=%.6f\n%s",
            secs(CLOCK_PROCESS_CPUTIME_ID) + children_cpu() + extra_cpu,
            secs(CLOCK_MONOTONIC) - started, more ? more : "");
    fclose(out);
}

static double burn_each_s;
static void *burner(void *arg) {
    (void)arg;
    burn(burn_each_s);
    return NULL;
}

/* Holder and waiter of one mutex: the waiter's time inside
 * pthread_mutex_lock is the truth of its wait for the lock, and a tracer
 * reading its wait channel every millisecond the truth of its futex sleep
 * (the lock's wait less the run-queue wait after each wake-up). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;
static double lock_wait_s, waiter_wall_s;
static long waiter_tid;
static void nap(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}
static void *holder(void *arg) {
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&lock);
        nap(3000);
        pthread_mutex_unlock(&lock);
        nap(1000);
    }
    return NULL;
}
static void *waiter(void *arg) {
    double life = *(double *)arg, begin = secs(CLOCK_MONOTONIC);
    waiter_tid = syscall(SYS_gettid);
    while (secs(CLOCK_MONOTONIC) - begin < life) {
        double t0 = secs(CLOCK_MONOTONIC);
        pthread_mutex_lock(&lock);
        lock_wait_s += secs(CLOCK_MONOTONIC) - t0;
        pthread_mutex_unlock(&lock);
        nap(1500);
    }
    waiter_wall_s = secs(CLOCK_MONOTONIC) - begin;
    stop = 1;
    return NULL;
}

/* A fine trace: the waiter's wait channel read every millisecond. */
static double trace_samples, trace_futex;
static void *tracer(void *arg) {
    (void)arg;
    while (!waiter_tid) nap(100);
    char path[64], wchan[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/wchan", waiter_tid);
    while (!stop) {
        FILE *f = fopen(path, "r");
        if (!f) break;
        size_t n = fread(wchan, 1, sizeof wchan - 1, f);
        fclose(f);
        wchan[n] = 0;
        trace_samples += 1;
        trace_futex += !strncmp(wchan, "futex", 5);
        nap(1000);
    }
    return NULL;
}

int main(int argc, char **argv) {
    started = secs(CLOCK_MONOTONIC);
    /* Time for the watcher's first sample before any work begins. */
    const char *delay = getenv("TRUTH_DELAY_S");
    if (delay) nap((long)(atof(delay) * 1e6));
    const char *mode = argc > 1 ? argv[1] : "";
    double a = argc > 2 ? atof(argv[2]) : 1, b = argc > 3 ? atof(argv[3]) : 1;
    if (!strcmp(mode, "spin")) { /* spin CPU_S: one thread */
        burn(a);
        report(0, NULL);
    } else if (!strcmp(mode, "threads")) { /* threads N CPU_S [DELAY_S]: N threads burn each */
        int n = (int)a;
        pthread_t t[64];
        burn_each_s = b;
        if (argc > 4) nap((long)(atof(argv[4]) * 1e6));
        for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, burner, NULL);
        for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
        report(0, NULL);
    } else if (!strcmp(mode, "ignchld")) { /* ignchld N CPU_S: the kernel reaps */
        int n = (int)a;
        double *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        signal(SIGCHLD, SIG_IGN);
        for (int i = 0; i < n; i++) {
            if (fork() == 0) {
                burn(b);
                shared[i] = secs(CLOCK_PROCESS_CPUTIME_ID);
                _exit(0);
            }
        }
        double extra = 0;
        for (int i = 0; i < n; i++) {
            while (shared[i] == 0) nap(2000);
            extra += shared[i];
        }
        nap(50000);
        report(extra, NULL);
    } else if (!strcmp(mode, "sleep")) { /* sleep WALL_S: barely any CPU */
        nap(0);
        struct timespec ts = {(time_t)a, (long)((a - (long)a) * 1e9)};
        nanosleep(&ts, NULL);
        report(0, NULL);
    } else if (!strcmp(mode, "children")) { /* children N HOLD_S */
        int n = (int)a;
        pid_t *kids = calloc(n, sizeof(pid_t));
        for (int i = 0; i < n; i++) {
            kids[i] = fork();
            if (kids[i] == 0) {
                pause();
                _exit(0);
            }
        }
        struct timespec ts = {(time_t)b, (long)((b - (long)b) * 1e9)};
        nanosleep(&ts, NULL);
        for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
        for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
        char more[64];
        snprintf(more, sizeof more, "children=%d\n", n);
        report(0, more);
    } else if (!strcmp(mode, "lock")) { /* lock LIFE_S */
        pthread_t h, w, t;
        pthread_create(&h, NULL, holder, NULL);
        pthread_create(&w, NULL, waiter, &a);
        pthread_create(&t, NULL, tracer, NULL);
        pthread_join(w, NULL);
        pthread_join(h, NULL);
        pthread_join(t, NULL);
        char more[160];
        snprintf(more, sizeof more,
                 "lock_wait_pct=%.2f\ntrace_futex_pct=%.2f\nwaiter_tid=%ld\n",
                 100 * lock_wait_s / waiter_wall_s, 100 * trace_futex / trace_samples,
                 waiter_tid);
        report(0, more);
    } else {
        fprintf(stderr, "usage: truth spin|threads|ignchld|sleep|children|lock ...\n");
        return 2;
    }
    return 0;
}
