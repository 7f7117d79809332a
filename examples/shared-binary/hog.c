/*
 * A workload of the kind a kernel developer tests: maps `MIB` MiB of anonymous memory, touches
 * every page (so each is a real page fault and a real page), says "ready" on stdout, and then
 * holds the memory until it is killed, so a test can measure it while it is held.
 *
 * Usage: hog [MIB]   (default 64)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	size_t length = mib << 20;
	long page = sysconf(_SC_PAGESIZE);
	char *memory = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (memory == MAP_FAILED) {
		perror("hog: mmap");
		return 1;
	}
	for (size_t offset = 0; offset < length; offset += page)
		memory[offset] = 1;
	printf("ready: %zu MiB touched\n", mib);
	fflush(stdout);
	for (;;)
		pause();
}
