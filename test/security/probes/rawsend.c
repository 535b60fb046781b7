// Forges packets the way a hostile container with CAP_NET_RAW would: Ethernet frames written to
// an AF_PACKET socket on eth0, addressed to the bridge's MAC and to any IP (127.0.0.1 included),
// so the container's own routing table (which keeps 127/8 on lo) never sees them.
//   rawsend probe                                   try to open raw and packet sockets, print errno
//   rawsend udp IFACE SRCIP DSTMAC DSTIP PORT TEXT   one UDP datagram
//   rawsend tcp IFACE SRCIP DSTMAC DSTIP PORT TEXT   SYN, wait for the SYN-ACK, then ACK + TEXT
//   rawsend ping DSTIP                               one echo over an ICMP datagram socket (no NET_RAW)
//   rawsend udpsock DSTIP PORT TEXT                  one datagram through an ordinary UDP socket
// Prints one line per step; exit 0 when the frames were sent (not whether anything answered).
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint16_t csum(const void *data, size_t len, uint32_t sum) {
  const uint8_t *p = data;
  for (; len > 1; len -= 2, p += 2) sum += (uint32_t)p[0] << 8 | p[1];
  if (len) sum += (uint32_t)p[0] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

static uint32_t pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len) {
  uint32_t s = 0;
  s += ntohl(src) >> 16; s += ntohl(src) & 0xffff;
  s += ntohl(dst) >> 16; s += ntohl(dst) & 0xffff;
  s += proto; s += len;
  return s;
}

static int parse_mac(const char *s, uint8_t *mac) {
  return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

struct ctx {
  int fd;
  struct sockaddr_ll to;
  uint8_t src_mac[6], dst_mac[6];
  uint32_t src, dst;
  uint16_t sport, dport;
};

static size_t ip_frame(struct ctx *c, uint8_t *buf, uint8_t proto, const void *l4, size_t l4len) {
  struct ether_header *eh = (void *)buf;
  memcpy(eh->ether_dhost, c->dst_mac, 6);
  memcpy(eh->ether_shost, c->src_mac, 6);
  eh->ether_type = htons(ETHERTYPE_IP);
  struct iphdr *ip = (void *)(buf + sizeof *eh);
  memset(ip, 0, sizeof *ip);
  ip->version = 4; ip->ihl = 5; ip->ttl = 64; ip->protocol = proto;
  ip->tot_len = htons((uint16_t)(sizeof *ip + l4len));
  ip->id = htons((uint16_t)rand());
  ip->saddr = c->src; ip->daddr = c->dst;
  ip->check = csum(ip, sizeof *ip, 0);
  memcpy(buf + sizeof *eh + sizeof *ip, l4, l4len);
  return sizeof *eh + sizeof *ip + l4len;
}

static int send_frame(struct ctx *c, const uint8_t *buf, size_t len) {
  if (sendto(c->fd, buf, len, 0, (struct sockaddr *)&c->to, sizeof c->to) < 0) { printf("sendto errno=%d\n", errno); return -1; }
  return 0;
}

static int send_tcp(struct ctx *c, uint32_t seq, uint32_t ack, uint8_t flags, const char *data) {
  uint8_t seg[1500], frame[1600];
  size_t dlen = data ? strlen(data) : 0;
  struct tcphdr *t = (void *)seg;
  memset(t, 0, sizeof *t);
  t->source = htons(c->sport); t->dest = htons(c->dport);
  t->seq = htonl(seq); t->ack_seq = htonl(ack);
  t->doff = 5; t->window = htons(64240);
  t->syn = !!(flags & 1); t->ack = !!(flags & 2); t->psh = !!(flags & 4);
  memcpy(seg + sizeof *t, data ? data : "", dlen);
  size_t l = sizeof *t + dlen;
  t->check = csum(seg, l, pseudo(c->src, c->dst, IPPROTO_TCP, (uint16_t)l));
  return send_frame(c, frame, ip_frame(c, frame, IPPROTO_TCP, seg, l));
}

/** Waits up to 2 s for the SYN-ACK from dst:dport to our port; returns its sequence number. */
static int wait_synack(struct ctx *c, uint32_t *seq) {
  uint8_t buf[2048];
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left = 2000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
    if (left <= 0) return -1;
    struct pollfd p = {c->fd, POLLIN, 0};
    if (poll(&p, 1, (int)left) <= 0) continue;
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < (ssize_t)(sizeof(struct ether_header) + sizeof(struct iphdr) + sizeof(struct tcphdr))) continue;
    struct ether_header *eh = (void *)buf;
    if (eh->ether_type != htons(ETHERTYPE_IP)) continue;
    struct iphdr *ip = (void *)(buf + sizeof *eh);
    if (ip->protocol != IPPROTO_TCP || ip->saddr != c->dst || ip->daddr != c->src) continue;
    struct tcphdr *t = (void *)((uint8_t *)ip + ip->ihl * 4);
    if (ntohs(t->source) != c->dport || ntohs(t->dest) != c->sport || !t->syn || !t->ack) continue;
    *seq = ntohl(t->seq);
    return 0;
  }
}

/** What ping does unprivileged (net.ipv4.ping_group_range): the kernel fills in the id and checksum. */
static int ping(const char *dst) {
  int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (fd < 0) { printf("ping socket errno=%d (%s)\n", errno, strerror(errno)); return 1; }
  struct sockaddr_in to = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, dst, &to.sin_addr) != 1) { fprintf(stderr, "bad address\n"); return 2; }
  struct icmphdr req = {.type = ICMP_ECHO};
  req.un.echo.sequence = htons(1);
  if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&to, sizeof to) < 0) { printf("ping sendto errno=%d\n", errno); return 1; }
  struct pollfd p = {fd, POLLIN, 0};
  uint8_t buf[256];
  if (poll(&p, 1, 5000) <= 0 || recv(fd, buf, sizeof buf, 0) < (ssize_t)sizeof req || ((struct icmphdr *)buf)->type != ICMP_ECHOREPLY) { printf("ping no reply\n"); return 1; }
  printf("ping reply\n");
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 2 && !strcmp(argv[1], "probe")) {
    int r = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    printf("raw %s\n", r >= 0 ? "ok" : (errno == EPERM ? "EPERM" : strerror(errno)));
    int p = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    printf("packet %s\n", p >= 0 ? "ok" : (errno == EPERM ? "EPERM" : strerror(errno)));
    return 0;
  }
  if (argc == 3 && !strcmp(argv[1], "ping")) return ping(argv[2]);
  if (argc == 5 && !strcmp(argv[1], "udpsock")) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
    if (fd < 0 || inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) return 2;
    if (sendto(fd, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&to, sizeof to) < 0) { printf("udpsock errno=%d\n", errno); return 1; }
    printf("udpsock sent\n");
    return 0;
  }
  if (argc != 8) { fprintf(stderr, "usage: rawsend probe | rawsend udp|tcp IFACE SRCIP DSTMAC DSTIP PORT TEXT\n"); return 2; }
  struct ctx c;
  memset(&c, 0, sizeof c);
  srand((unsigned)time(NULL) ^ (unsigned)getpid());
  c.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
  if (c.fd < 0) { printf("socket errno=%d\n", errno); return 1; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[2]);
  if (ioctl(c.fd, SIOCGIFHWADDR, &ifr) < 0) { printf("SIOCGIFHWADDR errno=%d\n", errno); return 1; }
  memcpy(c.src_mac, ifr.ifr_hwaddr.sa_data, 6);
  if (parse_mac(argv[4], c.dst_mac) < 0 || inet_pton(AF_INET, argv[3], &c.src) != 1 || inet_pton(AF_INET, argv[5], &c.dst) != 1) { fprintf(stderr, "bad address\n"); return 2; }
  c.to.sll_family = AF_PACKET;
  c.to.sll_ifindex = (int)if_nametoindex(argv[2]);
  c.to.sll_halen = 6;
  memcpy(c.to.sll_addr, c.dst_mac, 6);
  c.sport = (uint16_t)(20000 + rand() % 20000);
  c.dport = (uint16_t)atoi(argv[6]);
  const char *text = argv[7];
  if (!strcmp(argv[1], "udp")) {
    uint8_t seg[1500], frame[1600];
    struct udphdr *u = (void *)seg;
    size_t l = sizeof *u + strlen(text);
    u->source = htons(c.sport); u->dest = htons(c.dport); u->len = htons((uint16_t)l); u->check = 0;
    memcpy(seg + sizeof *u, text, strlen(text));
    u->check = csum(seg, l, pseudo(c.src, c.dst, IPPROTO_UDP, (uint16_t)l));
    if (send_frame(&c, frame, ip_frame(&c, frame, IPPROTO_UDP, seg, l)) < 0) return 1;
    printf("udp sent\n");
    return 0;
  }
  if (!strcmp(argv[1], "tcp")) {
    uint32_t iss = (uint32_t)rand(), peer;
    if (send_tcp(&c, iss, 0, 1, NULL) < 0) return 1;
    printf("syn sent\n");
    if (wait_synack(&c, &peer) < 0) { printf("no syn-ack\n"); return 0; }
    printf("syn-ack\n");
    if (send_tcp(&c, iss + 1, peer + 1, 2 | 4, text) < 0) return 1;
    printf("data sent\n");
    return 0;
  }
  fprintf(stderr, "unknown mode %s\n", argv[1]);
  return 2;
}
