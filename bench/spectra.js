'use strict';
// The benchmark spectra, shared by bench/fit.bench.js and the peer (bench/peer.js → bench/peer.py): 1340-px
// simulated CCD spectra, T uniform 1000–5000 K, auto-exposure to a peak of 2,000–45,000 counts (as in
// tests/physics/accuracy), as radiance = (counts − bias)/response with its variance; fitted over 570–830 nm.
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const { defaultWavelengths, defaultResponse, expectedCounts, simulateSpectrum, DEFAULT_DETECTOR } = require(
  path.join(dist, 'sim', 'spectrum'),
);
const { Rng } = require(path.join(dist, 'sim', 'rng'));

const RANGE_NM = [570, 830];

/** One spectrum of temperature `temperature`: radiance and its variance written into the given rows. */
function simulateRow(wavelength, response, temperature, rng, radianceRow, varianceRow) {
  const { gain, readNoise, bias } = DEFAULT_DETECTOR;
  const perSecond = expectedCounts({ wavelength, temperature, response, exposure: 1, brightness: 4e8 });
  let peak = 0;
  for (const value of perSecond) {
    peak = Math.max(peak, value);
  }
  const exposure = (2000 + 43000 * rng.uniform()) / peak;
  const spectrum = simulateSpectrum({ wavelength, temperature, response, exposure, brightness: 4e8 }, rng);
  for (let i = 0; i < wavelength.length; i++) {
    const aboveBias = spectrum.counts[i] - bias;
    radianceRow[i] = aboveBias / response[i];
    varianceRow[i] = (Math.max(aboveBias, 0) / gain + readNoise * readNoise) / (response[i] * response[i]);
  }
}

/**
 * `distinct` spectra (seed 2024), repeated to fill `total` rows. Returns the wavelength grid, the fit mask
 * (1 = outside RANGE_NM), the radiance and variance (total × n, row-major) and the true temperatures.
 */
function benchSpectra(distinct, total = distinct) {
  const wavelength = defaultWavelengths();
  const n = wavelength.length;
  const response = defaultResponse(wavelength);
  const mask = Uint8Array.from(wavelength, (nm) => (nm < RANGE_NM[0] || nm > RANGE_NM[1] ? 1 : 0));
  const rng = new Rng(2024);
  const radiance = new Float64Array(total * n);
  const variance = new Float64Array(total * n);
  const truth = new Float64Array(distinct);
  for (let f = 0; f < distinct; f++) {
    truth[f] = 1000 + 4000 * rng.uniform();
    simulateRow(
      wavelength,
      response,
      truth[f],
      rng,
      radiance.subarray(f * n, (f + 1) * n),
      variance.subarray(f * n, (f + 1) * n),
    );
  }
  for (let f = distinct; f < total; f++) {
    radiance.copyWithin(f * n, (f % distinct) * n, ((f % distinct) + 1) * n);
    variance.copyWithin(f * n, (f % distinct) * n, ((f % distinct) + 1) * n);
  }
  const used = mask.reduce((sum, masked) => sum + (masked === 0 ? 1 : 0), 0);
  return { wavelength, n, mask, used, radiance, variance, truth, distinct, total };
}

module.exports = { benchSpectra, RANGE_NM };
