// The sizes a simulation may have, and the messages that refuse larger ones with an estimate of
// what they would take (SimulationLimits in kimsim/simulation.hpp).
#include <fmt/format.h>

#include "io/scenario.hpp"
#include "io/text.hpp"

namespace kimsim::io {

SimulationSize size_of(const LoadedScenario& ls, const SimulationSpec& spec, double replications) {
  SimulationSize s;
  s.replications = replications > 0 ? replications : static_cast<double>(spec.replications);
  s.years = spec.years.empty() ? 1 : spec.years.size();
  s.bausteine = ls.scenario.bausteine.size();
  s.regions = ls.regions.list.size();
  return s;
}

namespace {

std::string count_of(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

/// "5000 years x 3 Bausteine x 449 regions"
std::string dimensions(const SimulationSize& s) {
  return count_of(s.years, "year", "years") + " x " + count_of(s.bausteine, "Baustein", "Bausteine") + " x " +
         count_of(s.regions, "region", "regions");
}

double slots_of(const SimulationSize& s) {
  return static_cast<double>(s.years) * static_cast<double>(s.bausteine) * static_cast<double>(s.regions);
}

std::string replications_text(double r) {
  if (r < 1e19) return std::to_string(static_cast<std::uint64_t>(r));
  return fmt::format("{:.3g}", r);
}

}  // namespace

std::string replications_problem(const SimulationSize& s) {
  if (s.replications <= static_cast<double>(SimulationLimits::replications)) return "";
  return replications_text(s.replications) + " replications of " + dimensions(s) + " take about " +
         human_seconds(replication_seconds(s.replications, slots_of(s))) + " of CPU time; the limit is " +
         power_of_ten(SimulationLimits::replications);
}

std::string years_problem(const SimulationSize& s) {
  const std::string need = dimensions(s) + " need about " + human_bytes(accumulator_bytes(slots_of(s))) +
                           " of accumulators per thread; the limit is ";
  if (s.years > SimulationLimits::years)
    return need + std::to_string(SimulationLimits::years) + " years (" + SimulationLimits::years_reason + ")";
  if (slots_of(s) > static_cast<double>(SimulationLimits::slots))
    return need + power_of_ten(SimulationLimits::slots) + " (year, Baustein, region) slots, about " +
           human_bytes(accumulator_bytes(static_cast<double>(SimulationLimits::slots)));
  return "";
}

std::string threads_problem(int threads, const SimulationSize& s) {
  if (threads <= SimulationLimits::threads) return "";
  const double each = accumulator_bytes(slots_of(s));
  return "every thread keeps its own accumulators, about " + human_bytes(each) + " for " + dimensions(s) + ", " +
         human_bytes(each * threads) + " in all; the limit is " + std::to_string(SimulationLimits::threads) + " threads";
}
}  // namespace kimsim::io
