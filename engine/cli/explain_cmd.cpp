// `kimsim explain`: one recipient's trace from the inputs to its positions and cents, on
// standard output; nothing is written to disk.
#include <boost/program_options.hpp>
#include <optional>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "io/explain.hpp"
#include "io/output.hpp"
#include "io/scenario.hpp"

namespace po = boost::program_options;

namespace kimsim::cli {

int explain_command(const Invocation& call) {
  po::options_description visible(R"(Usage: kimsim explain SCENARIO.yaml AGS|NAME [--baustein B] [--year Y] [--json]

Prints how the recipient got its positions and euros, as `run` computes them: per Baustein, each
step with its value and the place that set it — indicator values with their data file and row,
what was carved out of a Kreis' values, key shares and the cap, the quota, the base, the divisor
and the signposts around the last unit (or the largest remainders), the bounds and whether they
bind, a tie and how the policy decided it, the residual, what a Kreis passes on to its Gemeinden,
and the cents. A Gemeinde that receives a Kreis' pass-through share is explained by that share.
AGS|NAME is an AGS (05978) or a name, in any case, in full ("Kamen, Stadt") or before its comma
("Kamen"). Nothing is written to disk.

Options)");
  std::string baustein;
  Whole year;
  std::vector<std::string> positional;
  visible.add_options()("help,h", "show this help")("baustein,b", po::value(&baustein),
                                                    "only this Baustein (its id, e.g. B2); default: every one it receives from")(
      "year", po::value(&year), "the year whose dated values apply (default: the scenario's year)")(
      "json", "a JSON document instead of text");
  const po::variables_map vm = parse_options(call.args, visible, positional);
  if (vm.count("help")) {
    call.out << visible << "\n";
    return kOk;
  }
  if (positional.empty()) throw UsageError{"missing the SCENARIO file and the AGS or name of the recipient"};
  if (positional.size() == 1) throw UsageError{"missing the AGS or name of the recipient"};
  if (positional.size() > 2) throw UsageError{"one recipient at a time: unexpected '" + positional[2] + "'"};
  if (vm.count("baustein") && baustein.empty()) throw UsageError{"--baustein needs a Baustein id such as B2"};
  const io::LoadedScenario ls = io::load_scenario(positional[0], {year_option(vm, year), std::nullopt});
  std::string also;
  const std::size_t region = io::find_recipient(ls.regions, positional[1], &also);
  if (!also.empty()) call.err << "kimsim explain: note: " << also << "\n";
  const Plan plan(ls.scenario, ls.regions);
  const io::Explanation e =
      io::explain(ls, plan, region, vm.count("baustein") ? std::optional<std::string>(baustein) : std::nullopt);
  call.out << (vm.count("json") ? io::dump_json(io::explain_json(ls, e), 2) + "\n" : io::explain_text(ls, e));
  return kOk;
}

}  // namespace kimsim::cli
