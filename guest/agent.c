/*
 * page-budget guest agent: runs as PID 1 (exec'd by guest/init) inside the test VM and serves
 * the host over a virtio serial port named "page-budget" (/dev/vportNpM). The port is not a
 * tty, so the channel is binary safe.
 *
 * Protocol (mirrored in src/target/qemu/protocol.ts; keep the two in step). Every message is a
 * frame, all integers little-endian:
 *
 *   u32 length (of what follows) | u32 request id | u8 type | payload
 *
 * Host -> guest (the host picks request ids, never 0, unique among its open requests):
 *   0x01 EXEC    command, run as `/bin/sh -c command` in a new process group, stdin /dev/null
 *   0x02 READ    u32 window | path: stream the file as DATA, at most `window` bytes (plus
 *                one page) ahead of the host's ACKs
 *   0x03 WRITE   u32 path length | path | data: open O_TRUNC (O_CREAT), write, close
 *   0x04 CANCEL  (empty): kill an EXEC's process group (EXIT follows), or end a READ (ERROR
 *                ECANCELED follows); ignored for ids that already finished
 *   0x05 ACK     u32 bytes: the host consumed this much of a READ; the window grows by it
 *   0x06 STAT    path: can the file be opened for reading? DONE or ERROR
 *   0x07 PING    id 0, empty, no answer: sent while requests are open and the agent is quiet,
 *                because incoming data wakes QEMU's main loop, which then delivers guest timer
 *                interrupts it had slept through (QEMU 7.2 under TCG: a guest could stall for
 *                good otherwise)
 * Guest -> host:
 *   0x81 HELLO   id 0, `key=value` lines: boot_id, release, page_size, agent. Sent when the
 *                host connects (or at start when it already is)
 *   0x82 STDOUT  bytes of an EXEC's stdout
 *   0x83 STDERR  bytes of an EXEC's stderr
 *   0x84 DATA    bytes of a READ, up to 64 KiB a frame
 *   0x85 EXIT    u8 how (0 exited, 1 killed by signal) | u32 code or signal: ends an EXEC
 *   0x86 ERROR   u32 errno (Linux numbering) | message: ends any request
 *   0x87 DONE    (empty): ends a READ, WRITE or STAT that succeeded
 * Every request ends with exactly one of EXIT, ERROR or DONE; after it the id is free again.
 *
 * One poll() loop multiplexes the port, the children's pipes and a SIGCHLD self-pipe. Frames
 * are queued whole and written as the port accepts them, so frames never interleave and a
 * partial write just waits for POLLOUT. Producers (pipes, files) pause while the queue is full,
 * and a READ never runs more than its window ahead of the host, so a 45 MB page_owner file
 * streams through a bounded buffer.
 *
 * Lifetime: when the host goes away after having been connected (POLLHUP or EOF on the port:
 * QEMU's socket peer closed, e.g. the test run was SIGKILLed), the agent kills its children and
 * powers the VM off, so no QEMU outlives its run. It does the same if no host connects within
 * CONNECT_DEADLINE_S of start. Power-off happens only when the agent is PID 1: run on a
 * developer's host for tests it just exits.
 *
 * Usage: agent                  find the "page-budget" virtio port (the VM case)
 *        agent --port PATH      use PATH (a character device or FIFO opened read-write)
 *        agent --stdio          frames in on fd 0, out on fd 1 (host tests over a socketpair)
 *
 * Built statically by the host at run time (gcc -static -O2); only libc. Kept to syscalls a
 * tinyconfig kernel has: no signalfd, eventfd or epoll.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
	T_EXEC = 0x01, T_READ = 0x02, T_WRITE = 0x03, T_CANCEL = 0x04, T_ACK = 0x05, T_STAT = 0x06,
	T_PING = 0x07,
	T_HELLO = 0x81, T_STDOUT = 0x82, T_STDERR = 0x83, T_DATA = 0x84, T_EXIT = 0x85,
	T_ERROR = 0x86, T_DONE = 0x87,
};

#define HEADER 9                      /* u32 length + u32 id + u8 type */
#define CHUNK (64 * 1024)             /* largest DATA/STDOUT payload */
#define READ_MIN 4096                 /* page_owner's per-record buffer is one page */
#define QUEUE_HIGH (256 * 1024)       /* producers pause while this much waits for the port */
#define MAX_FRAME (16 * 1024 * 1024)  /* a longer length field means a broken stream */
#define CONNECT_DEADLINE_S 60
#define PORT_NAME "page-budget"

struct request {
	uint32_t id;
	int type;           /* T_EXEC or T_READ: the only requests that outlive one frame */
	pid_t pid;          /* EXEC: child, also its process group */
	int pipes[2];       /* EXEC: stdout, stderr read ends; -1 once at EOF */
	int fd;             /* READ: the file */
	char *path;         /* READ: for error messages */
	uint64_t credit;    /* READ: bytes it may still send before the host acks */
	struct request *next;
};

static struct request *requests;
static int in_fd = -1, out_fd = -1;
static int stdio_mode;
static int sigchld_pipe[2];

static unsigned char *queue;
static size_t queue_len, queue_off, queue_cap;

static unsigned char *inbuf;
static size_t in_len, in_cap;

static void die(const char *fmt, ...);

static void *grow(void *buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return buf;
	size_t cap2 = *cap ? *cap : 64 * 1024;
	while (cap2 < need)
		cap2 *= 2;
	buf = realloc(buf, cap2);
	if (!buf)
		die("out of memory (%zu bytes)", cap2);
	*cap = cap2;
	return buf;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static uint32_t get_u32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Room for one frame at the end of the queue; finish_frame() fills in the header. */
static unsigned char *begin_frame(size_t max_payload)
{
	if (queue_off > 0 && queue_off == queue_len)
		queue_off = queue_len = 0;
	queue = grow(queue, &queue_cap, queue_len + HEADER + max_payload);
	return queue + queue_len + HEADER;
}

static void finish_frame(uint32_t id, int type, size_t payload_len)
{
	unsigned char *h = queue + queue_len;
	put_u32(h, 5 + payload_len);
	put_u32(h + 4, id);
	h[8] = type;
	queue_len += HEADER + payload_len;
}

static void send_frame(uint32_t id, int type, const void *a, size_t a_len, const void *b, size_t b_len)
{
	unsigned char *p = begin_frame(a_len + b_len);
	if (a_len)
		memcpy(p, a, a_len);
	if (b_len)
		memcpy(p + a_len, b, b_len);
	finish_frame(id, type, a_len + b_len);
}

static void send_error(uint32_t id, int err, const char *what, const char *path)
{
	char msg[4200];
	unsigned char code[4];
	int n = snprintf(msg, sizeof msg, "%s %s: %s", what, path, strerror(err));
	if (n < 0 || n >= (int)sizeof msg)
		n = sizeof msg - 1;
	put_u32(code, err);
	send_frame(id, T_ERROR, code, 4, msg, n);
}

static void send_exit(uint32_t id, int status)
{
	unsigned char p[5];
	int signaled = WIFSIGNALED(status);
	p[0] = signaled;
	put_u32(p + 1, signaled ? WTERMSIG(status) : WEXITSTATUS(status));
	send_frame(id, T_EXIT, p, 5, NULL, 0);
}

static void send_hello(void)
{
	char boot_id[64] = "unknown", text[512];
	struct utsname u;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, boot_id, sizeof boot_id - 1);
		boot_id[n > 0 ? n : 0] = 0;
		boot_id[strcspn(boot_id, "\n")] = 0;
		close(fd);
	}
	uname(&u);
	int n = snprintf(text, sizeof text, "boot_id=%s\nrelease=%s\npage_size=%ld\nagent=1\n",
			 boot_id, u.release, sysconf(_SC_PAGESIZE));
	send_frame(0, T_HELLO, text, n, NULL, 0);
}

static struct request *find_request(uint32_t id)
{
	for (struct request *r = requests; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static void remove_request(struct request *gone)
{
	for (struct request **p = &requests; *p; p = &(*p)->next) {
		if (*p == gone) {
			*p = gone->next;
			free(gone->path);
			free(gone);
			return;
		}
	}
}

static struct request *add_request(uint32_t id, int type)
{
	struct request *r = calloc(1, sizeof *r);
	if (!r)
		die("out of memory");
	r->id = id;
	r->type = type;
	r->fd = r->pipes[0] = r->pipes[1] = -1;
	r->next = requests;
	requests = r;
	return r;
}

/* A NUL-terminated copy of a payload (paths and commands arrive without the NUL). */
static char *cstring(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		die("out of memory");
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void start_exec(uint32_t id, const unsigned char *p, size_t n)
{
	int out[2], err[2];
	char *cmd = cstring(p, n);
	char *argv[] = { "sh", "-c", cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0) {
		send_error(id, errno, "pipe for", "exec");
		free(cmd);
		return;
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		send_error(id, errno, "pipe for", "exec");
		close(out[0]); close(out[1]);
		free(cmd);
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	/* The child gets a clean signal state: the agent ignores SIGPIPE and blocks nothing, but
	 * an ignored disposition would survive exec and break pipelines like `yes | head`. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(cmd);
	close(out[1]);
	close(err[1]);
	if (rc != 0) {
		send_error(id, rc, "spawn", "/bin/sh");
		close(out[0]); close(err[0]);
		return;
	}
	struct request *r = add_request(id, T_EXEC);
	r->pid = pid;
	r->pipes[0] = out[0];
	r->pipes[1] = err[0];
	set_nonblock(out[0]);
	set_nonblock(err[0]);
}

static void start_read(uint32_t id, const unsigned char *p, size_t n)
{
	if (n < 4) {
		send_error(id, EINVAL, "read", "(no window)");
		return;
	}
	char *path = cstring(p + 4, n - 4);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		send_error(id, errno, "open", path);
	} else {
		struct request *r = add_request(id, T_READ);
		r->fd = fd;
		r->path = path;
		r->credit = get_u32(p);
		return;
	}
	free(path);
}

static void do_write(uint32_t id, const unsigned char *p, size_t n)
{
	uint32_t path_len = n >= 4 ? get_u32(p) : UINT32_MAX;
	if (path_len > n - 4) {
		send_error(id, EINVAL, "write", "(bad path length)");
		return;
	}
	char *path = cstring(p + 4, path_len);
	const unsigned char *data = p + 4 + path_len;
	size_t left = n - 4 - path_len;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		send_error(id, errno, "open", path);
		free(path);
		return;
	}
	while (left > 0) {
		ssize_t w = write(fd, data, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			send_error(id, errno, "write", path);
			close(fd);
			free(path);
			return;
		}
		data += w;
		left -= w;
	}
	/* debugfs and sysfs report a rejected value at close as often as at write. */
	if (close(fd) < 0)
		send_error(id, errno, "close", path);
	else
		send_frame(id, T_DONE, NULL, 0, NULL, 0);
	free(path);
}

static void do_stat(uint32_t id, const unsigned char *p, size_t n)
{
	char *path = cstring(p, n);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		send_error(id, errno, "open", path);
	} else {
		close(fd);
		send_frame(id, T_DONE, NULL, 0, NULL, 0);
	}
	free(path);
}

static void cancel(uint32_t id)
{
	struct request *r = find_request(id);
	if (!r)
		return;
	if (r->type == T_EXEC) {
		kill(-r->pid, SIGKILL);
	} else {
		close(r->fd);
		send_error(id, ECANCELED, "cancelled read of", r->path);
		remove_request(r);
	}
}

static void handle_frame(uint32_t id, int type, const unsigned char *p, size_t n)
{
	if (type != T_CANCEL && type != T_ACK && type != T_PING && find_request(id)) {
		send_error(id, EBUSY, "request", "(id already in use)");
		return;
	}
	switch (type) {
	case T_EXEC: start_exec(id, p, n); break;
	case T_READ: start_read(id, p, n); break;
	case T_WRITE: do_write(id, p, n); break;
	case T_STAT: do_stat(id, p, n); break;
	case T_CANCEL: cancel(id); break;
	case T_PING: break;
	case T_ACK: {
		struct request *r = find_request(id);
		if (r && r->type == T_READ && n >= 4)
			r->credit += get_u32(p);
		break;
	}
	default: send_error(id, ENOSYS, "request", "(unknown type)");
	}
}

/* Returns 0 when the host hung up (EOF), 1 otherwise. */
static int read_port(void)
{
	inbuf = grow(inbuf, &in_cap, in_len + CHUNK);
	ssize_t n = read(in_fd, inbuf + in_len, CHUNK);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : 0;
	if (n == 0)
		return 0;
	in_len += n;
	size_t off = 0;
	while (in_len - off >= 4) {
		uint32_t len = get_u32(inbuf + off);
		if (len < 5 || len > MAX_FRAME)
			die("malformed frame from the host (length %u)", len);
		if (in_len - off < 4 + (size_t)len)
			break;
		handle_frame(get_u32(inbuf + off + 4), inbuf[off + 8], inbuf + off + HEADER, len - 5);
		off += 4 + len;
	}
	memmove(inbuf, inbuf + off, in_len - off);
	in_len -= off;
	return 1;
}

/* Returns 0 when the host hung up (EPIPE), 1 otherwise. */
static int flush_queue(void)
{
	while (queue_off < queue_len) {
		ssize_t n = write(out_fd, queue + queue_off, queue_len - queue_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 1 : 0;
		queue_off += n;
	}
	return 1;
}

/* One chunk of a child's output; at EOF the pipe is closed. Returns whether a chunk was sent. */
static int pump_pipe(struct request *r, int which)
{
	unsigned char *p = begin_frame(CHUNK);
	ssize_t n = read(r->pipes[which], p, CHUNK);
	if (n > 0) {
		finish_frame(r->id, which == 0 ? T_STDOUT : T_STDERR, n);
		return 1;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(r->pipes[which]);
		r->pipes[which] = -1;
	}
	return 0;
}

/*
 * One DATA frame of a READ, filled to CHUNK (or the credit) before it is sent: page_owner
 * returns one record (~300 bytes) per read(), and a frame per record would cost far more.
 * Every read() asks for at least READ_MIN bytes, because page_owner fails a read too short for
 * its next record with ENOMEM instead of returning less.
 */
static void pump_file(struct request *r)
{
	size_t want = r->credit < CHUNK ? r->credit : CHUNK, got = 0;
	if (want < READ_MIN)
		want = READ_MIN;
	unsigned char *p = begin_frame(want);
	while (want - got >= READ_MIN) {
		ssize_t n = read(r->fd, p + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			close(r->fd);
			send_error(r->id, err, "read", r->path);
			remove_request(r);
			return;
		}
		if (n == 0) {
			if (got)
				finish_frame(r->id, T_DATA, got);
			close(r->fd);
			send_frame(r->id, T_DONE, NULL, 0, NULL, 0);
			remove_request(r);
			return;
		}
		got += n;
	}
	finish_frame(r->id, T_DATA, got);
	r->credit = r->credit > got ? r->credit - got : 0;
}

/* Children that ended: their remaining output, then EXIT. Orphans adopted by PID 1 are just reaped. */
static void reap(void)
{
	char drain[64];
	while (read(sigchld_pipe[0], drain, sizeof drain) > 0)
		;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		for (struct request *r = requests; r; r = r->next) {
			if (r->type != T_EXEC || r->pid != pid)
				continue;
			/* Everything the child wrote before it exited is in the pipes now; output from
			 * background grandchildren after this point is not waited for. */
			for (int i = 0; i < 2; i++) {
				while (r->pipes[i] >= 0 && pump_pipe(r, i))
					;
				if (r->pipes[i] >= 0)
					close(r->pipes[i]);
				r->pipes[i] = -1;
			}
			send_exit(r->id, status);
			remove_request(r);
			break;
		}
	}
}

static void on_sigchld(int sig)
{
	int saved = errno;
	(void)sig;
	(void)!write(sigchld_pipe[1], "c", 1);
	errno = saved;
}

static void shutdown_vm(const char *why)
{
	for (struct request *r = requests; r; r = r->next)
		if (r->type == T_EXEC)
			kill(-r->pid, SIGKILL);
	fprintf(stderr, "page-budget-agent: %s; %s\n", why, getpid() == 1 ? "powering off" : "exiting");
	if (getpid() != 1)
		exit(0);
	sync();
	reboot(RB_POWER_OFF);
	/* Without a power-off driver the kernel halts instead; QEMU runs with -no-reboot, so a
	 * reboot ends it as well. */
	reboot(RB_AUTOBOOT);
	exit(1);
}

static void die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	shutdown_vm(msg);
}

/* /sys/class/virtio-ports/vportNpM/name holds the name QEMU gave the port. */
static int open_named_port(void)
{
	for (int tries = 0; tries < 100; tries++) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char path[300], name[64] = "";
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			ssize_t n = read(fd, name, sizeof name - 1);
			close(fd);
			name[n > 0 ? n : 0] = 0;
			name[strcspn(name, "\n")] = 0;
			if (strcmp(name, PORT_NAME) != 0)
				continue;
			snprintf(path, sizeof path, "/dev/%s", e->d_name);
			closedir(d);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				die("open %s: %s", path, strerror(errno));
			return fd;
		}
		if (d)
			closedir(d);
		usleep(50 * 1000);
	}
	die("no virtio port named %s (is QEMU started with -device virtserialport,name=%s?)", PORT_NAME, PORT_NAME);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--stdio") == 0) {
		stdio_mode = 1;
		in_fd = 0;
		out_fd = 1;
	} else if (argc == 3 && strcmp(argv[1], "--port") == 0) {
		in_fd = out_fd = open(argv[2], O_RDWR | O_CLOEXEC);
		if (in_fd < 0) {
			fprintf(stderr, "page-budget-agent: open %s: %s\n", argv[2], strerror(errno));
			return 2;
		}
	} else if (argc == 1) {
		in_fd = out_fd = open_named_port();
	} else {
		fprintf(stderr, "usage: %s [--port PATH | --stdio]\n", argv[0]);
		return 2;
	}
	set_nonblock(in_fd);
	set_nonblock(out_fd);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die("pipe: %s", strerror(errno));
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	sigaction(SIGCHLD, &sa, NULL);

	/* A virtio port reports POLLHUP until the host's socket connects; stdio is connected now. */
	struct pollfd *fds = NULL;
	size_t fds_cap = 0;
	int connected = 0;
	time_t started = time(NULL);
	if (stdio_mode) {
		connected = 1;
		send_hello();
	}

	for (;;) {
		if (!connected) {
			struct pollfd w = { .fd = in_fd, .events = POLLIN };
			int rc = poll(&w, 1, 100);
			if (rc == 0 || (rc > 0 && !(w.revents & POLLHUP))) {
				connected = 1;
				send_hello();
			} else {
				if (time(NULL) - started > CONNECT_DEADLINE_S)
					shutdown_vm("no host connected");
				usleep(50 * 1000);
				continue;
			}
		}

		int backlog = queue_len - queue_off >= QUEUE_HIGH;
		int reading = 0;
		size_t nfds = 0;
		fds = grow(fds, &fds_cap, 3 * sizeof *fds);
		fds[nfds++] = (struct pollfd){ .fd = in_fd, .events = POLLIN };
		fds[nfds++] = (struct pollfd){ .fd = out_fd, .events = queue_off < queue_len ? POLLOUT : 0 };
		fds[nfds++] = (struct pollfd){ .fd = sigchld_pipe[0], .events = POLLIN };
		for (struct request *r = requests; r; r = r->next) {
			if (r->type == T_READ && r->credit > 0)
				reading = 1;
			if (r->type != T_EXEC || backlog)
				continue;
			for (int i = 0; i < 2; i++) {
				if (r->pipes[i] < 0)
					continue;
				fds = grow(fds, &fds_cap, (nfds + 1) * sizeof *fds);
				fds[nfds++] = (struct pollfd){ .fd = r->pipes[i], .events = POLLIN };
			}
		}
		/* Files are always readable: with a READ in progress and room in the queue, poll only
		 * looks around and the loop goes on pumping. */
		if (poll(fds, nfds, reading && !backlog ? 0 : -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));

		if (fds[0].revents & POLLIN) {
			if (!read_port())
				shutdown_vm("host disconnected");
		} else if (fds[0].revents & (POLLHUP | POLLERR)) {
			shutdown_vm("host disconnected");
		}
		if (fds[2].revents & POLLIN)
			reap();
		/* Looked up by fd, not by position: reap() may have finished a request (and closed
		 * its pipes) since the poll set was built. */
		for (size_t i = 3; i < nfds; i++) {
			if (!fds[i].revents)
				continue;
			for (struct request *r = requests; r; r = r->next)
				for (int which = 0; which < 2; which++)
					if (r->type == T_EXEC && r->pipes[which] == fds[i].fd)
						pump_pipe(r, which);
		}
		if (!backlog) {
			struct request *next;
			for (struct request *r = requests; r; r = next) {
				next = r->next;
				if (r->type == T_READ && r->credit > 0)
					pump_file(r);
			}
		}
		if (!flush_queue())
			shutdown_vm("host disconnected");
	}
}
