// The accumulators of a simulation as bytes: what MPI ranks send to the first rank. The layout is
// the machine's own (byte order, widths): ranks of one run share a machine type.
#include <cstring>

#include "kimsim/simulation.hpp"

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
  template <typename A, typename B>
  void put_vector(const std::vector<std::pair<A, B>>& v) {
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

constexpr std::uint64_t kMagic = 0x6b696d73696d0002;  // "kimsim", layout 2 (max/min ratios capped)

}  // namespace

ValueCounts ValueCounts::from_entries(std::vector<std::pair<std::int64_t, std::uint64_t>> entries, bool exact) {
  ValueCounts c;
  c.counts_ = std::move(entries);
  c.binned_ = !exact;
  return c;
}

std::string pack(const SimulationResult& r) {
  Writer w;
  w.put(kMagic);
  w.put<std::uint64_t>(r.replications);
  w.put_vector(r.slots);
  w.put_vector(r.budget);
  w.put_vector(r.years);
  for (const auto& s : r.stats) {
    w.put(s.nothing), w.put(s.halves), w.put(s.halves_sq), w.put(s.cents), w.put(s.cents_sq);
    w.put(s.outflow), w.put(s.cofinancing);
    w.put_vector(s.halves_hist);
    w.put<std::uint8_t>(s.cents_counts.exact());
    w.put_vector(s.cents_counts.entries());
  }
  for (const auto& s : r.state) {
    w.put(s.spent), w.put(s.spent_sq), w.put(s.filled), w.put(s.filled_sq);
    w.put(s.gini), w.put(s.gini_sq), w.put(s.maxmin), w.put(s.maxmin_sq), w.put(s.maxmin_capped);
    w.put_vector(std::vector<std::pair<std::int64_t, std::uint64_t>>(s.spent_hist.begin(), s.spent_hist.end()));
  }
  return w.take();
}

SimulationResult unpack(std::string_view bytes) {
  Reader in(bytes);
  if (in.get<std::uint64_t>() != kMagic) throw Error("not kimsim simulation data of this version");
  SimulationResult r;
  r.replications = in.get<std::uint64_t>();
  r.slots = in.get_vector<SlotKey>();
  r.budget = in.get_vector<Cents>();
  r.years = in.get_vector<int>();
  r.stats.resize(r.slots.size());
  for (auto& s : r.stats) {
    s.nothing = in.get<std::uint64_t>(), s.halves = in.get<std::int64_t>(), s.halves_sq = in.get<__int128>();
    s.cents = in.get<__int128>(), s.cents_sq = in.get<__int128>();
    s.outflow = in.get<__int128>(), s.cofinancing = in.get<__int128>();
    s.halves_hist = in.get_vector<std::uint64_t>();
    const bool exact = in.get<std::uint8_t>() != 0;
    s.cents_counts = ValueCounts::from_entries(in.get_pairs<std::int64_t, std::uint64_t>(), exact);
  }
  r.state.resize(r.years.size());
  for (auto& s : r.state) {
    s.spent = in.get<__int128>(), s.spent_sq = in.get<__int128>(), s.filled = in.get<__int128>();
    s.filled_sq = in.get<__int128>(), s.gini = in.get<__int128>(), s.gini_sq = in.get<__int128>();
    s.maxmin = in.get<__int128>(), s.maxmin_sq = in.get<__int128>(), s.maxmin_capped = in.get<std::uint64_t>();
    for (const auto& [bin, n] : in.get_pairs<std::int64_t, std::uint64_t>()) s.spent_hist[bin] = n;
  }
  if (!in.done()) throw Error("trailing bytes after simulation data");
  return r;
}

}  // namespace kimsim
