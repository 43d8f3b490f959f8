// gbench_shim.cc — the C interface of gbench_shim.h on Google Benchmark.
// asb_gbench_state is never defined: a pointer to it is a benchmark::State.
#include "gbench_shim.h"

#include <benchmark/benchmark.h>

#include <string>

namespace {

benchmark::State &state_of(asb_gbench_state *st) { return *reinterpret_cast<benchmark::State *>(st); }

// Set by a failing benchmark so that main can report it in its exit status.
bool any_failed = false;

}  // namespace

extern "C" {

void asb_gbench_register(const char *name, asb_gbench_fn fn, int64_t arg) {
    benchmark::RegisterBenchmark(std::string(name).c_str(), [fn, arg](benchmark::State &state) {
        fn(reinterpret_cast<asb_gbench_state *>(&state), arg);
    });
}

bool asb_gbench_keep_running(asb_gbench_state *st) { return state_of(st).KeepRunning(); }
void asb_gbench_pause(asb_gbench_state *st) { state_of(st).PauseTiming(); }
void asb_gbench_resume(asb_gbench_state *st) { state_of(st).ResumeTiming(); }

void asb_gbench_counter(asb_gbench_state *st, const char *name, double value, bool per_iteration) {
    state_of(st).counters[name] =
        benchmark::Counter(value, per_iteration ? benchmark::Counter::kAvgIterations : benchmark::Counter::kDefaults);
}

void asb_gbench_fail(asb_gbench_state *st, const char *message) {
    any_failed = true;
    state_of(st).SkipWithError(message);
}

void asb_gbench_context(const char *key, const char *value) { benchmark::AddCustomContext(key, value); }

int asb_gbench_main(int argc, char **argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return any_failed ? 1 : 0;
}

}  // extern "C"
