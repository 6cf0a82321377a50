/* Ground truth for corescope's lock table: threads that time themselves
 * inside pthread_mutex_lock (CLOCK_MONOTONIC around the call) and write, at
 * the end, the total per lock to the file named by LOCKS_OUT, one line each:
 * "NAME MS".
 *
 *   locks named SECONDS   two static mutexes: busy_lock (four threads
 *                         holding it 5 ms each turn: each waits three
 *                         turns in four) and quiet_lock (two threads
 *                         holding it 5 ms each turn: one turn in two)
 *   locks heap SECONDS    one mutex from malloc (the main heap), three
 *                         threads holding it 5 ms each turn
 *
 * The holders sleep while they hold, so the waiting does not depend on
 * how busy the machine's cores are.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t quiet_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *heap_lock;
static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static double waited_ms[3];
static double end_ms;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Takes `lock`, timing the wait into waited_ms[slot], holds it hold_us. */
static void take(pthread_mutex_t *lock, int slot, int hold_us) {
    double before = now_ms();
    pthread_mutex_lock(lock);
    double waited = now_ms() - before;
    usleep(hold_us);
    pthread_mutex_unlock(lock);
    pthread_mutex_lock(&tally_lock);
    waited_ms[slot] += waited;
    pthread_mutex_unlock(&tally_lock);
}

static void *busy(void *arg) {
    (void)arg;
    while (now_ms() < end_ms) take(&busy_lock, 0, 5000);
    return NULL;
}

static void *quiet(void *arg) {
    (void)arg;
    while (now_ms() < end_ms) take(&quiet_lock, 1, 5000);
    return NULL;
}

static void *on_heap(void *arg) {
    (void)arg;
    while (now_ms() < end_ms) take(heap_lock, 2, 5000);
    return NULL;
}

static void run(void *(*body)(void *), int n, pthread_t *threads) {
    for (int i = 0; i < n; i++) pthread_create(&threads[i], NULL, body, NULL);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: locks named|heap SECONDS\n");
        return 2;
    }
    const char *out = getenv("LOCKS_OUT");
    end_ms = now_ms() + atof(argv[2]) * 1e3;
    pthread_t threads[6];
    int n = 0;
    if (strcmp(argv[1], "named") == 0) {
        run(busy, 4, threads);
        run(quiet, 2, threads + 4);
        n = 6;
    } else {
        heap_lock = malloc(sizeof *heap_lock);
        pthread_mutex_init(heap_lock, NULL);
        run(on_heap, 3, threads);
        n = 3;
    }
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) return 1;
    fprintf(f, "busy_lock %.3f\nquiet_lock %.3f\nheap_lock %.3f\n", waited_ms[0], waited_ms[1],
            waited_ms[2]);
    fclose(f);
    return 0;
}
