const mib = (bytes) => bytes / 1024 / 1024;

/**
 * Samples the process's resident set size every `intervalMs` until `stop()`, which takes one more sample
 * (a loop that never yields to timers, like memstore's, would otherwise show none) and returns MiB figures.
 */
export function sampleRss(intervalMs = 25) {
  const start = process.memoryUsage.rss();
  let peak = start;
  const samples = [];
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
    samples.push(rss);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return {
        startMiB: mib(start),
        peakMiB: mib(peak),
        endMiB: mib(samples.at(-1)),
        samples: samples.length,
      };
    },
  };
}
