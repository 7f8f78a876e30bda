// record_bench.cpp — figures 1 and 2: closenotify's record layer against raw BoringSSL
// EVP_AEAD calls on the same buffers, keys and nonces.
//
// closenotify, per record: record_protection::seal (header, nonce from the sequence
// number, additional data, TLS 1.3 inner content type, AEAD seal), parse_record on the
// sealed bytes (what record_reader::next does for every received record), and
// record_protection::open (nonce, additional data, AEAD open in place, TLS 1.3 inner type
// scan). Raw, per record: the nonce (IV XOR sequence number, the same nonce closenotify
// uses), EVP_AEAD_CTX_seal of the payload into the record buffer and EVP_AEAD_CTX_open of
// it in place, with a fixed additional data of the same length; nothing else.
//
// BoringSSL's <openssl/aead.h> is included here and nowhere else in tools/.
#include <openssl/aead.h>

#include <array>
#include <cstring>
#include <optional>
#include <utility>

#include "bench.hpp"
#include "closenotify/record_framing.hpp"

namespace closenotify::bench {
namespace {

constexpr std::size_t nonce_length = 12;
constexpr std::size_t tag = cipher_suite::tag_length;

const EVP_AEAD* aead_of(aead_algorithm a) {
  switch (a) {
    case aead_algorithm::aes_128_gcm: return EVP_aead_aes_128_gcm();
    case aead_algorithm::aes_256_gcm: return EVP_aead_aes_256_gcm();
    case aead_algorithm::chacha20_poly1305: return EVP_aead_chacha20_poly1305();
  }
  return nullptr;
}

// raw_aead: one direction's key in an EVP_AEAD_CTX and the nonce of record `seq`:
// RFC 8446 §5.3 / RFC 7905 IV XOR sequence number; RFC 5288 GCM salt || explicit nonce,
// where the explicit nonce is the sequence number (what closenotify and OpenSSL send).
class raw_aead {
 public:
  raw_aead(const cipher_suite& s, const traffic_keys& k) {
    const bytes_view iv = k.iv.view();
    for (std::size_t i = 0; i < iv.size() && i < nonce_length; ++i) mask_[i] = iv[i];
    ok_ = EVP_AEAD_CTX_init(ctx_.get(), aead_of(s.aead), k.key.view().data(), k.key.size(), tag, nullptr) == 1;
  }
  /// ok: whether EVP_AEAD_CTX_init took the key.
  bool ok() const noexcept { return ok_; }
  const std::uint8_t* nonce(std::uint64_t seq) noexcept {
    nonce_ = mask_;
    for (int i = 0; i < 8; ++i) nonce_[nonce_length - 1 - i] ^= static_cast<std::uint8_t>(seq >> (8 * i));
    return nonce_.data();
  }
  EVP_AEAD_CTX* get() noexcept { return ctx_.get(); }

 private:
  bssl::ScopedEVP_AEAD_CTX ctx_;
  bool ok_ = false;
  std::array<std::uint8_t, nonce_length> mask_{};
  std::array<std::uint8_t, nonce_length> nonce_{};
};

// additional data of the length the version uses: TLS 1.3 the 5-byte header, TLS 1.2
// seq_num + type + version + length (13 bytes).
struct raw_ad {
  std::array<std::uint8_t, 13> bytes{};
  std::size_t length = 0;
  raw_ad(const cipher_suite& s, std::uint8_t type, std::size_t plaintext, std::size_t fragment) {
    if (s.version == protocol_version::tls13) {
      bytes = {23, 3, 3, static_cast<std::uint8_t>(fragment >> 8), static_cast<std::uint8_t>(fragment)};
      length = 5;
    } else {
      bytes[8] = type;
      bytes[9] = 3;
      bytes[10] = 3;
      bytes[11] = static_cast<std::uint8_t>(plaintext >> 8);
      bytes[12] = static_cast<std::uint8_t>(plaintext);
      length = 13;
    }
  }
};

// One suite's objects: closenotify's writer and reader (client -> server), the raw AEAD
// with the same keys, and the buffers both use.
struct suite_bench {
  const cipher_suite& s;
  record_protection writer, reader;
  raw_aead raw_seal, raw_open;
  std::uint64_t raw_seq_seal = 0, raw_seq_open = 0;
  std::vector<std::uint8_t> payload = std::vector<std::uint8_t>(record_payload);
  std::vector<std::uint8_t> record = std::vector<std::uint8_t>(max_record_size);
  // close_notify records, one slot each, so that a batch of seals is opened in order.
  static constexpr std::size_t slot = 64;
  std::vector<std::uint8_t> slots;
  std::size_t raw_close_ct = 0;  // ciphertext + tag length of a raw close_notify
  std::size_t explicit_nonce;
  std::array<std::uint8_t, 3> close_payload{1, 0, 21};  // warning, close_notify[, inner type alert]
  std::size_t close_payload_length;

  suite_bench(const cipher_suite& suite, const suite_keys& k)
      : s(suite),
        writer(k.protection(role::client)),
        reader(k.protection(role::client)),
        raw_seal(suite, k.raw_keys(role::client)),
        raw_open(suite, k.raw_keys(role::client)),
        explicit_nonce(suite.explicit_nonce_length()),
        close_payload_length(suite.version == protocol_version::tls13 ? 3 : 2) {
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i % 251);
  }

  // ---- closenotify ----
  // One 16 KiB record through seal, parse_record and open, `n` times: {total, seal, open}
  // ns. Seal and open are clocked apart (four clock reads per record on both sides).
  struct split {
    double total = 0, seal = 0, open = 0;
  };
  tools::result<split> cn_app(std::size_t n) {
    std::size_t bad = 0;
    split t;
    const auto t0 = now_ns();
    for (std::size_t i = 0; i < n; ++i) {
      const auto a = now_ns();
      auto sealed = writer.seal(content_type::application_data, payload, record);
      const auto b = now_ns();
      const auto* size = std::get_if<std::size_t>(&sealed);
      if (size == nullptr) {
        ++bad;
        continue;
      }
      const auto c = now_ns();
      auto framed = parse_record(bytes_view(record.data(), *size), s.version);
      const auto* ct = std::get_if<tls_ciphertext>(&framed);
      if (ct == nullptr) {
        ++bad;
        continue;
      }
      auto opened = reader.open(ct->header, mutable_bytes(record.data() + record_header_size, ct->fragment.size()));
      const auto d = now_ns();
      const auto* pt = std::get_if<tls_plaintext>(&opened);
      bad += pt == nullptr || pt->type != content_type::application_data || pt->fragment.size() != record_payload;
      t.seal += static_cast<double>(b - a);
      t.open += static_cast<double>(d - c);
    }
    t.total = static_cast<double>(now_ns() - t0);
    if (bad != 0) return failed(std::string(s.name) + ": closenotify seal/open of a 16 KiB record failed");
    return t;
  }

  static constexpr std::array<std::uint8_t, 2> close_notify{1, 0};

  // One clocked loop for every close_notify figure: `n` calls of `one(i)` (true when the
  // call did what it should), between two clock reads; a template, so that the call is
  // inlined and the loop is the same one each figure would write by hand.
  template <class One>
  tools::result<double> timed(std::size_t n, const char* failure, One&& one) {
    std::size_t bad = 0;
    const auto t0 = now_ns();
    for (std::size_t i = 0; i < n; ++i) bad += !one(i);
    const auto t1 = now_ns();
    if (bad != 0) return failed(std::string(s.name) + ": " + failure);
    return static_cast<double>(t1 - t0);
  }

  mutable_bytes slot_at(std::size_t i) { return mutable_bytes(slots.data() + i * slot, slot); }

  tools::result<double> cn_close_seal(std::size_t n) {
    return timed(n, "closenotify could not seal a close_notify", [&](std::size_t i) {
      return std::holds_alternative<std::size_t>(writer.seal(content_type::alert, close_notify, slot_at(i)));
    });
  }

  tools::result<double> cn_close_open(std::size_t n) {
    return timed(n, "closenotify could not open its close_notify", [&](std::size_t i) {
      const mutable_bytes buf = slot_at(i);
      auto framed = parse_record(buf, s.version);
      const auto* ct = std::get_if<tls_ciphertext>(&framed);
      if (ct == nullptr) return false;
      auto opened = reader.open(ct->header, buf.subspan(record_header_size, ct->fragment.size()));
      const auto* pt = std::get_if<tls_plaintext>(&opened);
      return pt != nullptr && pt->type == content_type::alert && pt->fragment.size() == 2;
    });
  }

  // ---- raw ----
  tools::result<split> raw_app(std::size_t n) {
    const raw_ad ad(s, 23, record_payload, explicit_nonce + record_payload + tag);
    std::uint8_t* const ct = record.data() + record_header_size + explicit_nonce;
    const std::size_t cap = record.size() - record_header_size - explicit_nonce;
    std::size_t bad = 0;
    split t;
    const auto t0 = now_ns();
    for (std::size_t i = 0; i < n; ++i) {
      const auto a = now_ns();
      std::size_t sealed = 0;
      bad += EVP_AEAD_CTX_seal(raw_seal.get(), ct, &sealed, cap, raw_seal.nonce(raw_seq_seal++), nonce_length,
                               payload.data(), payload.size(), ad.bytes.data(), ad.length) != 1;
      const auto b = now_ns();
      const auto c = now_ns();
      std::size_t opened = 0;
      bad += EVP_AEAD_CTX_open(raw_open.get(), ct, &opened, cap, raw_open.nonce(raw_seq_open++), nonce_length, ct,
                               sealed, ad.bytes.data(), ad.length) != 1;
      const auto d = now_ns();
      t.seal += static_cast<double>(b - a);
      t.open += static_cast<double>(d - c);
    }
    t.total = static_cast<double>(now_ns() - t0);
    if (bad != 0) return failed(std::string(s.name) + ": raw EVP_AEAD seal/open failed");
    return t;
  }

  // raw_close_seal_scatter: the AEAD call closenotify's seal makes for a close_notify:
  // EVP_AEAD_CTX_seal_scatter with the 2-byte alert as input and, for TLS 1.3, the inner
  // content type as extra_in (so that a plaintext is never copied). Separates the cost of
  // that call's shape from closenotify's own code.
  tools::result<double> raw_close_seal_scatter(std::size_t n) {
    const raw_ad ad(s, 21, close_payload_length, explicit_nonce + close_payload_length + tag);
    const std::size_t extra = s.version == protocol_version::tls13 ? 1 : 0;
    auto t = timed(n, "raw EVP_AEAD_CTX_seal_scatter failed", [&](std::size_t i) {
      std::uint8_t* ct = raw_close_ciphertext(i);
      std::size_t tag_len = 0;
      return EVP_AEAD_CTX_seal_scatter(raw_seal.get(), ct, ct + 2, &tag_len, extra + tag,
                                       raw_seal.nonce(raw_seq_seal++), nonce_length, close_payload.data(), 2,
                                       extra != 0 ? close_payload.data() + 2 : nullptr, extra, ad.bytes.data(),
                                       ad.length) == 1;
    });
    raw_seq_open = raw_seq_seal;  // these records are not opened
    return t;
  }

  tools::result<double> raw_close_seal(std::size_t n) {
    const raw_ad ad(s, 21, close_payload_length, explicit_nonce + close_payload_length + tag);
    return timed(n, "raw EVP_AEAD seal of 3 bytes failed", [&](std::size_t i) {
      std::size_t sealed = 0;
      const bool ok = EVP_AEAD_CTX_seal(raw_seal.get(), raw_close_ciphertext(i), &sealed, raw_close_capacity(),
                                        raw_seal.nonce(raw_seq_seal++), nonce_length, close_payload.data(),
                                        close_payload_length, ad.bytes.data(), ad.length) == 1;
      raw_close_ct = sealed;
      return ok;
    });
  }

  tools::result<double> raw_close_open(std::size_t n) {
    const raw_ad ad(s, 21, close_payload_length, explicit_nonce + close_payload_length + tag);
    return timed(n, "raw EVP_AEAD open of 3 bytes failed", [&](std::size_t i) {
      std::uint8_t* ct = raw_close_ciphertext(i);
      std::size_t opened = 0;
      return EVP_AEAD_CTX_open(raw_open.get(), ct, &opened, raw_close_capacity(), raw_open.nonce(raw_seq_open++),
                               nonce_length, ct, raw_close_ct, ad.bytes.data(), ad.length) == 1;
    });
  }

  // Where a raw close_notify's ciphertext starts in slot `i`, and the room it has there.
  std::uint8_t* raw_close_ciphertext(std::size_t i) {
    return slots.data() + i * slot + record_header_size + explicit_nonce;
  }
  std::size_t raw_close_capacity() const { return slot - record_header_size - explicit_nonce; }

  // check_same_keys: the raw AEAD opens a close_notify closenotify sealed, with the nonce
  // of its sequence number and the additional data the RFC defines: the two sides really
  // use the same keys and nonces. The reader opens the same record, so that both
  // directions stay at the same sequence number.
  std::optional<tools::error> check_same_keys() {
    const std::uint64_t seq = writer.sequence_number();
    std::array<std::uint8_t, slot> rec{};
    auto sealed = writer.seal(content_type::alert, close_notify, rec);
    if (!std::holds_alternative<std::size_t>(sealed)) return failed(std::string(s.name) + ": seal failed");
    const std::size_t len = std::get<std::size_t>(sealed);
    std::array<std::uint8_t, slot> copy = rec;
    const std::size_t fragment = len - record_header_size;
    std::array<std::uint8_t, 13> ad{};
    std::size_t ad_len = 5;
    if (s.version == protocol_version::tls13) {
      std::memcpy(ad.data(), copy.data(), 5);
    } else {
      for (int i = 0; i < 8; ++i) ad[7 - i] = static_cast<std::uint8_t>(seq >> (8 * i));
      ad[8] = 21;
      ad[9] = 3;
      ad[10] = 3;
      ad[11] = 0;
      ad[12] = 2;
      ad_len = 13;
    }
    std::uint8_t* ct = copy.data() + record_header_size + explicit_nonce;
    std::size_t opened = 0;
    const bool ok = EVP_AEAD_CTX_open(raw_open.get(), ct, &opened, fragment - explicit_nonce, raw_open.nonce(seq),
                                      nonce_length, ct, fragment - explicit_nonce, ad.data(), ad_len) == 1 &&
                    opened == close_payload_length && std::memcmp(ct, close_payload.data(), opened) == 0;
    if (!ok) return failed(std::string(s.name) + ": the raw AEAD does not open closenotify's record: keys or nonces differ");
    auto framed = parse_record(bytes_view(rec.data(), len), s.version);
    const auto* c = std::get_if<tls_ciphertext>(&framed);
    if (c == nullptr) return failed(std::string(s.name) + ": parse_record failed");
    auto mine = reader.open(c->header, mutable_bytes(rec.data() + record_header_size, fragment));
    if (!std::holds_alternative<tls_plaintext>(mine)) return failed(std::string(s.name) + ": open failed");
    return std::nullopt;
  }
};

}  // namespace

std::optional<tools::error> record_figures(const cipher_suite& s, std::size_t samples, record_sizes sizes,
                                           results& out) {
  const suite_keys keys{&s};
  suite_bench b(s, keys);
  if (!b.raw_seal.ok() || !b.raw_open.ok()) return failed("EVP_AEAD_CTX_init failed for " + std::string(s.name));
  b.slots.assign(sizes.close_batch * suite_bench::slot, 0);
  if (auto e = b.check_same_keys()) return e;
  out.raw_checks.emplace_back(s.name);

  // Warm-up: caches, branch predictors, the CPU's clock.
  for (auto warm : {b.cn_app(sizes.app_batch), b.raw_app(sizes.app_batch)}) {
    if (auto* e = std::get_if<tools::error>(&warm)) return std::move(*e);
  }

  const double bytes = static_cast<double>(sizes.app_batch * record_payload);
  std::vector<double> cn_total, raw_total, cn_seal, raw_seal, cn_open, raw_open;
  for (std::size_t i = 0; i < samples; ++i) {
    for (int turn = 0; turn < 2; ++turn) {
      if ((turn == 0) == (i % 2 == 0)) {
        const auto r = b.cn_app(sizes.app_batch);
        if (auto* e = std::get_if<tools::error>(&r)) return *e;
        const auto& t = std::get<suite_bench::split>(r);
        cn_total.push_back(t.total);
        cn_seal.push_back(t.seal / static_cast<double>(sizes.app_batch));
        cn_open.push_back(t.open / static_cast<double>(sizes.app_batch));
      } else {
        const auto r = b.raw_app(sizes.app_batch);
        if (auto* e = std::get_if<tools::error>(&r)) return *e;
        const auto& t = std::get<suite_bench::split>(r);
        raw_total.push_back(t.total);
        raw_seal.push_back(t.seal / static_cast<double>(sizes.app_batch));
        raw_open.push_back(t.open / static_cast<double>(sizes.app_batch));
      }
    }
  }
  auto mbs = [&](std::vector<double> ns) {
    for (double& v : ns) v = bytes / v * 1e3;  // bytes per ns * 1e3 = MB/s
    return ns;
  };
  timing_row app{std::string(s.name), "16 KiB seal + open", summarize(mbs(cn_total)), summarize(mbs(raw_total)),
                 summarize(ratios({cn_total, raw_total}, true)), "MB/s"};
  app.detail = {{"closenotify_seal_ns", summarize(cn_seal)},
                {"raw_seal_ns", summarize(raw_seal)},
                {"seal_time_ratio", summarize(ratios({cn_seal, raw_seal}))},
                {"closenotify_open_ns", summarize(cn_open)},
                {"raw_open_ns", summarize(raw_open)},
                {"open_time_ratio", summarize(ratios({cn_open, raw_open}))}};
  out.app_vs_raw.push_back(std::move(app));

  const double n = static_cast<double>(sizes.close_batch);
  auto per_op = [&](std::vector<double> ns) {
    for (double& v : ns) v /= n;
    return ns;
  };
  // Seal and open are timed in separate batches; each seal batch is opened by the open
  // batch that follows it (closenotify's reader and the raw AEAD each open their own).
  // batch: one of suite_bench's timed batches of close_batch records, its ns appended to
  // `to` (nullptr: a warm-up, not kept).
  auto batch = [&](tools::result<double> (suite_bench::*f)(std::size_t),
                   std::vector<double>* to) -> std::optional<tools::error> {
    auto r = (b.*f)(sizes.close_batch);
    if (auto* e = std::get_if<tools::error>(&r)) return std::move(*e);
    if (to != nullptr) to->push_back(std::get<double>(r));
    return std::nullopt;
  };
  for (auto f : {&suite_bench::cn_close_seal, &suite_bench::cn_close_open, &suite_bench::raw_close_seal,
                 &suite_bench::raw_close_open}) {
    if (auto e = batch(f, nullptr)) return e;
  }
  pair_series seal, open;
  std::vector<double> scatter;
  for (std::size_t i = 0; i < samples; ++i) {
    const bool cn_first = i % 2 == 0;
    for (int turn = 0; turn < 2; ++turn) {
      if ((turn == 0) == cn_first) {
        if (auto e = batch(&suite_bench::cn_close_seal, &seal.a)) return e;
        if (auto e = batch(&suite_bench::cn_close_open, &open.a)) return e;
      } else {
        if (auto e = batch(&suite_bench::raw_close_seal, &seal.b)) return e;
        if (auto e = batch(&suite_bench::raw_close_open, &open.b)) return e;
      }
    }
    if (auto e = batch(&suite_bench::raw_close_seal_scatter, &scatter)) return e;
  }
  const std::string payload = std::to_string(b.close_payload_length) + "-byte payload";
  timing_row seal_row{std::string(s.name), "close_notify seal (" + payload + ")", summarize(per_op(seal.a)),
                      summarize(per_op(seal.b)), summarize(ratios(seal)), "ns"};
  seal_row.detail = {{"raw_seal_scatter_ns", summarize(per_op(scatter))},
                     {"closenotify_vs_raw_seal_scatter", summarize(ratios({seal.a, scatter}))}};
  out.close_vs_raw.push_back(std::move(seal_row));
  out.close_vs_raw.push_back(timing_row{std::string(s.name), "close_notify open (" + payload + ")",
                                        summarize(per_op(open.a)), summarize(per_op(open.b)),
                                        summarize(ratios(open)), "ns"});
  return std::nullopt;
}

}  // namespace closenotify::bench
