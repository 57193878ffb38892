// The accumulators of a simulation as bytes: what MPI ranks send to the first rank. The layout is
// the machine's own (byte order, widths): ranks of one run share a machine type. The fields are
// packed in the order of their declaration (accumulators.hpp), whose fingerprint leads the bytes.
#include <cstring>
#include <limits>

#include "kimsim/compare.hpp"
#include "sim/accumulators.hpp"

namespace kimsim {
namespace {

class Writer {
 public:
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <typename T>
  void put_vector(const std::vector<T>& v) {
    put<std::uint64_t>(v.size());
    for (const auto& x : v) put(x);
  }
  template <typename Pairs>
  void put_pairs(const Pairs& v) {
    put<std::uint64_t>(v.size());
    for (const auto& [a, b] : v) put(a), put(b);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  T get() {
    T v;
    if (in_.size() < sizeof v) throw Error("truncated simulation data");
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return v;
  }
  template <typename T>
  std::vector<T> get_vector() {
    const auto n = get<std::uint64_t>();
    if (n > in_.size() / sizeof(T)) throw Error("truncated simulation data");
    std::vector<T> v(n);
    for (auto& x : v) x = get<T>();
    return v;
  }
  template <typename A, typename B>
  std::vector<std::pair<A, B>> get_pairs() {
    const auto n = get<std::uint64_t>();
    if (n > in_.size() / (sizeof(A) + sizeof(B))) throw Error("truncated simulation data");
    std::vector<std::pair<A, B>> v(n);
    for (auto& [a, b] : v) a = get<A>(), b = get<B>();
    return v;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

// One pair of functions per kind of accumulator.
void put(Writer& w, const Count& a) { w.put(a.n); }
void get(Reader& in, Count& a) { a.n = in.get<std::uint64_t>(); }
void put(Writer& w, const Sum& a) { w.put(a.sum); }
void get(Reader& in, Sum& a) { a.sum = in.get<__int128>(); }
void put(Writer& w, const Moments& a) { w.put(a.sum), w.put(a.sq); }
void get(Reader& in, Moments& a) { a.sum = in.get<__int128>(), a.sq = in.get<__int128>(); }
void put(Writer& w, const Histogram& a) { w.put_vector(a.counts); }
void get(Reader& in, Histogram& a) { a.counts = in.get_vector<std::uint64_t>(); }
void put(Writer& w, const SpendBins& a) { w.put_pairs(a.entries()); }
void get(Reader& in, SpendBins& a) {
  for (const auto& [bin, n] : in.get_pairs<std::int64_t, std::uint64_t>()) {
    // The bins of int64 values: add_bin's arithmetic holds for them alone.
    constexpr std::int64_t kLeast = std::numeric_limits<std::int64_t>::min() / SpendBins::kWidth,
                           kMost = std::numeric_limits<std::int64_t>::max() / SpendBins::kWidth;
    if (bin < kLeast || bin > kMost) throw Error("simulation data: a spending bin out of range");
    a.add_bin(bin, n);
  }
}
void put(Writer& w, const ValueCounts& a) {
  w.put<std::uint8_t>(a.exact());
  w.put_pairs(a.entries());
}
void get(Reader& in, ValueCounts& a) {
  const bool exact = in.get<std::uint8_t>() != 0;
  a = ValueCounts::from_entries(in.get_pairs<std::int64_t, std::uint64_t>(), exact);
}

void put(Writer& w, const SignedCounts& a) { put(w, a.below()), put(w, a.rest()); }
void get(Reader& in, SignedCounts& a) {
  ValueCounts below, rest;
  get(in, below), get(in, rest);
  a = SignedCounts::from_parts(std::move(below), std::move(rest));
}

template <typename Stats>
void put_fields(Writer& w, const Stats& s) {
  for_each_field<Stats>([&](const auto& field) { put(w, s.*field.member); });
}
template <typename Stats>
void get_fields(Reader& in, Stats& s) {
  for_each_field<Stats>([&](const auto& field) { get(in, s.*field.member); });
}

constexpr std::uint64_t kMagic = 0x6b696d73696d0003;  // "kimsim", layout 3 (the fields declared once)
constexpr std::uint64_t kLayout = layout_fingerprint<SlotStats>() ^ (layout_fingerprint<StateStats>() * 31);

}  // namespace

std::string pack(const SimulationResult& r) {
  Writer w;
  w.put(kMagic);
  w.put(kLayout);
  w.put<std::uint64_t>(r.replications);
  w.put_vector(r.slots);
  w.put_vector(r.budget);
  w.put_vector(r.years);
  for (const auto& s : r.stats) put_fields(w, s);
  for (const auto& s : r.state) put_fields(w, s);
  return w.take();
}

SimulationResult unpack(std::string_view bytes) {
  Reader in(bytes);
  if (in.get<std::uint64_t>() != kMagic || in.get<std::uint64_t>() != kLayout)
    throw Error("not kimsim simulation data of this version");
  SimulationResult r;
  r.replications = in.get<std::uint64_t>();
  r.slots = in.get_vector<SlotKey>();
  r.budget = in.get_vector<Cents>();
  r.years = in.get_vector<int>();
  r.stats.resize(r.slots.size());
  for (auto& s : r.stats) get_fields(in, s);
  r.state.resize(r.years.size());
  for (auto& s : r.state) get_fields(in, s);
  if (!in.done()) throw Error("trailing bytes after simulation data");
  return r;
}

namespace {
constexpr std::uint64_t kCompareMagic = 0x6b696d636d700001;  // "kimcmp", layout 1
constexpr std::uint64_t kCompareLayout = layout_fingerprint<DeltaStats>();
}  // namespace

std::string pack(const CompareSimulation& c) {
  Writer w;
  w.put(kCompareMagic);
  w.put(kCompareLayout);
  w.put<std::uint64_t>(c.replications);
  w.put<std::uint64_t>(c.seed);
  w.put<std::uint64_t>(c.variants);
  w.put_vector(c.years);
  w.put<std::uint64_t>(c.lines.size());  // the lines themselves are the same on every rank
  for (const auto& s : c.stats) put_fields(w, s);
  return w.take();
}

CompareSimulation unpack_comparison(std::string_view bytes, const CompareSimulation& like) {
  Reader in(bytes);
  if (in.get<std::uint64_t>() != kCompareMagic || in.get<std::uint64_t>() != kCompareLayout)
    throw Error("not kimsim comparison data of this version");
  CompareSimulation c;
  c.replications = in.get<std::uint64_t>();
  c.seed = in.get<std::uint64_t>();
  c.variants = in.get<std::uint64_t>();
  c.years = in.get_vector<int>();
  if (in.get<std::uint64_t>() != like.lines.size() || c.variants != like.variants || c.years != like.years)
    throw Error("cannot merge comparisons of different scenarios");
  c.lines = like.lines;
  c.stats.resize(c.variants * c.lines.size());
  for (auto& s : c.stats) get_fields(in, s);
  if (!in.done()) throw Error("trailing bytes after comparison data");
  return c;
}

}  // namespace kimsim
