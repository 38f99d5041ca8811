/*  port: free TCP ports below the ephemeral range. See port.h. */
#include "port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT_LOW  20000
#define PORT_HIGH 32000 /* below 32768, where ephemeral ports start */

int port_free(void)
{
    static int next;
    if (!next)
        next = PORT_LOW + (int)(getpid() % 1200) * 10;
    for (int tries = 0; tries < PORT_HIGH - PORT_LOW; tries++) {
        int port = next++;
        if (next >= PORT_HIGH)
            next = PORT_LOW;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return port;
    }
    return -1;
}
