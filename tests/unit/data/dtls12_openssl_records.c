/* dtls12_openssl_records.c — the source of tests/unit/data/dtls12-openssl-3.0.{keys,records}:
 * real DTLS 1.2 records written by OpenSSL, for test_dtls_record's known-answer tests.
 *
 * For each of the three DTLS suites it runs a DTLS 1.2 handshake between two SSL objects over
 * two connected UDP sockets on 127.0.0.1 (explicit MTU, SSL_OP_NO_QUERY_MTU), with a key-log
 * callback; then the client writes "ping from the client", the server "pong from the server",
 * the client SSL_shutdown()s and so does the server. Each of those four datagrams is taken
 * off the receiving socket with recv(2), not given to the peer's SSL, and printed in hex with
 * the plaintext it carries. Key-log lines go to KEYS, everything else to stdout.
 *
 * It is linked with OpenSSL (Debian's libssl-dev) and nothing else; it is not part of the
 * meson build, and never shares a process with closenotify or BoringSSL. Run as:
 *
 *   cc -O1 -Wall -o /tmp/dtls12-records tests/unit/data/dtls12_openssl_records.c -lssl -lcrypto
 *   /tmp/dtls12-records tests/unit/data/dtls12-openssl-3.0.keys \
 *     > tests/unit/data/dtls12-openssl-3.0.records
 *
 * Each run makes fresh keys, so the data files change when it is rerun; the test reads
 * whatever they hold.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static FILE *keys;

static void die(const char *what) {
  fprintf(stderr, "dtls12-records: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static void keylog_cb(const SSL *ssl, const char *line) {
  (void)ssl;
  fprintf(keys, "%s\n", line);
}

static void hex(const unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; ++i) printf("%02x", b[i]);
}

/* A UDP socket on 127.0.0.1, nonblocking. */
static int udp_socket(struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t len = sizeof(*addr);
  memset(addr, 0, sizeof(*addr));
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
      getsockname(fd, (struct sockaddr *)addr, &len) != 0)
    die("socket");
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

static SSL *endpoint(SSL_CTX *ctx, int fd, const struct sockaddr_in *peer) {
  SSL *ssl = SSL_new(ctx);
  BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
  BIO_ADDR *addr = BIO_ADDR_new();
  if (connect(fd, (const struct sockaddr *)peer, sizeof(*peer)) != 0) die("connect");
  BIO_ADDR_rawmake(addr, AF_INET, &peer->sin_addr, sizeof(peer->sin_addr), peer->sin_port);
  BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, addr);
  BIO_ADDR_free(addr);
  SSL_set_bio(ssl, bio, bio);
  /* There is no path MTU to discover on loopback worth trusting: say it. */
  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(ssl, 1400);
  return ssl;
}

/* The next datagram on fd, waited for. */
static size_t take_datagram(int fd, unsigned char *buf, size_t cap) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) die("no datagram");
  ssize_t n = recv(fd, buf, cap, 0);
  if (n <= 0) die("recv");
  return (size_t)n;
}

static void print_datagram(const char *sender, const char *what, const unsigned char *b, size_t n,
                           const void *plaintext, size_t plaintext_len) {
  printf("%s %s ", sender, what);
  hex(b, n);
  printf(" ");
  hex((const unsigned char *)plaintext, plaintext_len);
  printf("\n");
}

static void run(const char *suite, EVP_PKEY *pkey, X509 *cert) {
  SSL_CTX *cctx = SSL_CTX_new(DTLS_client_method()), *sctx = SSL_CTX_new(DTLS_server_method());
  struct sockaddr_in caddr, saddr;
  int cfd = udp_socket(&caddr), sfd = udp_socket(&saddr);
  unsigned char buf[4096], random[32];
  size_t n;

  SSL_CTX *ctxs[2] = {cctx, sctx};
  for (int i = 0; i < 2; ++i) {
    SSL_CTX_set_min_proto_version(ctxs[i], DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctxs[i], DTLS1_2_VERSION);
    if (!SSL_CTX_set_cipher_list(ctxs[i], suite)) die("cipher list");
    SSL_CTX_set_keylog_callback(ctxs[i], keylog_cb);
  }
  if (!SSL_CTX_use_certificate(sctx, cert) || !SSL_CTX_use_PrivateKey(sctx, pkey)) die("cert");

  SSL *c = endpoint(cctx, cfd, &saddr), *s = endpoint(sctx, sfd, &caddr);
  SSL_set_connect_state(c);
  SSL_set_accept_state(s);
  for (int round = 0; !(SSL_is_init_finished(c) && SSL_is_init_finished(s)); ++round) {
    if (round > 1000) die("handshake did not finish");
    int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);
    if (rc <= 0 && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ) die("client handshake");
    if (rs <= 0 && SSL_get_error(s, rs) != SSL_ERROR_WANT_READ) die("server handshake");
    usleep(1000);
  }
  if (strcmp(SSL_get_cipher_name(c), suite) != 0) die("wrong suite negotiated");

  printf("suite %s\n", suite);
  printf("version %s\n", SSL_get_version(c));
  SSL_get_client_random(c, random, sizeof(random));
  printf("client_random ");
  hex(random, sizeof(random));
  printf("\n");
  SSL_get_server_random(c, random, sizeof(random));
  printf("server_random ");
  hex(random, sizeof(random));
  printf("\n");

  const char *ping = "ping from the client", *pong = "pong from the server";
  const unsigned char close_notify[2] = {1, 0}; /* level warning, description close_notify */
  if (SSL_write(c, ping, (int)strlen(ping)) <= 0) die("client write");
  n = take_datagram(sfd, buf, sizeof(buf));
  print_datagram("client", "application_data", buf, n, ping, strlen(ping));
  if (SSL_write(s, pong, (int)strlen(pong)) <= 0) die("server write");
  n = take_datagram(cfd, buf, sizeof(buf));
  print_datagram("server", "application_data", buf, n, pong, strlen(pong));
  if (SSL_shutdown(c) < 0) die("client shutdown");
  n = take_datagram(sfd, buf, sizeof(buf));
  print_datagram("client", "alert", buf, n, close_notify, 2);
  if (SSL_shutdown(s) < 0) die("server shutdown");
  n = take_datagram(cfd, buf, sizeof(buf));
  print_datagram("server", "alert", buf, n, close_notify, 2);
  printf("end\n");

  SSL_free(c);
  SSL_free(s);
  SSL_CTX_free(cctx);
  SSL_CTX_free(sctx);
  close(cfd);
  close(sfd);
}

int main(int argc, char **argv) {
  if (argc != 2 || !(keys = fopen(argv[1], "w"))) {
    fprintf(stderr, "usage: dtls12-records KEYLOG_FILE > RECORDS_FILE\n");
    return 2;
  }
  EVP_PKEY *pkey = EVP_EC_gen("P-256");
  X509 *cert = X509_new();
  if (pkey == NULL || cert == NULL) die("key");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             (const unsigned char *)"closenotify", -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509_set_pubkey(cert, pkey);
  if (!X509_sign(cert, pkey, EVP_sha256())) die("sign");

  printf("# DTLS 1.2 records written by %s (tests/unit/data/dtls12_openssl_records.c).\n",
         OpenSSL_version(OPENSSL_VERSION));
  printf("# <sender> <content type> <datagram hex> <plaintext hex>; close_notify's plaintext is 0100.\n");
  fprintf(keys, "# SSL/TLS secrets log file, generated by OpenSSL\n");
  run("ECDHE-ECDSA-AES128-GCM-SHA256", pkey, cert);
  run("ECDHE-ECDSA-AES256-GCM-SHA384", pkey, cert);
  run("ECDHE-ECDSA-CHACHA20-POLY1305", pkey, cert);
  fclose(keys);
  return 0;
}
