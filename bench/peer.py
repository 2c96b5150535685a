#!/usr/bin/env python3
"""The peer pyrolive's speed is measured against, side by side: a scipy curve_fit greybody loop.

Fits the same spectra as bench/fit.bench.js (exported by bench/peer.js to a float64 file), over the same
wavelength range, the way the established tools do: scipy.optimize.curve_fit (Levenberg-Marquardt, MINPACK,
finite-difference Jacobian, covariance from the default SVD), unweighted, greybody s * c1 / lambda^5 /
(exp(c2 / (lambda T)) - 1) with s and T free. The start value p0 comes from a Wien fit (one numpy.polyfit of
ln(y lambda^5 / c1) against 1/lambda over the positive pixels), as pyrolive starts its own fit; with it the peer
converges in the fewest evaluations (a fixed guess such as T = 2000 K makes it slower, never faster). The model
is vectorised with numpy and c1 / lambda^5, c2 / lambda are computed once per wavelength grid: the peer at its best.

Usage: python3 bench/peer.py META.json  (prints one JSON object on stdout)
META: {"data": path, "pixels": n, "spectra": N, "rangeNm": [lo, hi], "minSeconds": s, "repeats": r}
data: float64 little-endian: wavelength[n] (nm), radiance[N * n], true temperature[N].
"""
import json
import platform
import sys
import time

import numpy as np
import scipy
from scipy.optimize import curve_fit

C1 = 1.191042972e-16
C2 = 1.438776877e-2


def blas_description():
    """Which BLAS library and kernel the peer runs on (threadpoolctl if installed, else numpy's build config)."""
    try:
        from threadpoolctl import threadpool_info
        rows = []
        for lib in threadpool_info():
            if lib.get('user_api') == 'blas':
                rows.append('%s %s, kernel %s, %s threads' % (lib.get('internal_api'), lib.get('version'),
                                                               lib.get('architecture'), lib.get('num_threads')))
        if rows:
            return '; '.join(rows) + ' (threadpoolctl)'
    except ImportError:
        pass
    try:
        config = np.show_config(mode='dicts')
        blas = config['Build Dependencies']['blas']
        return '%s %s (numpy.show_config; kernel not reported without threadpoolctl)' % (
            blas.get('name'), blas.get('version'))
    except Exception as error:  # noqa: BLE001 - any failure only means "unknown"
        return 'unknown (%s)' % error


def load(meta):
    n = meta['pixels']
    count = meta['spectra']
    raw = np.fromfile(meta['data'], dtype='<f8')
    if raw.size != n + count * n + count:
        raise SystemExit('peer.py: %s holds %d values, expected %d' % (meta['data'], raw.size, n + count * n + count))
    wavelength = raw[:n]
    spectra = raw[n:n + count * n].reshape(count, n)
    truth = raw[n + count * n:]
    lo, hi = meta['rangeNm']
    used = (wavelength >= lo) & (wavelength <= hi)
    return wavelength[used] * 1e-9, np.ascontiguousarray(spectra[:, used]), truth


def make_fitter(wavelength_m):
    a = C1 / wavelength_m ** 5
    b = C2 / wavelength_m
    inverse_wavelength = 1.0 / wavelength_m
    log_a = np.log(a)

    def greybody(_x, scale, temperature):
        return scale * a / np.expm1(b / temperature)

    def wien_start(y):
        positive = y > 0
        slope, intercept = np.polyfit(inverse_wavelength[positive], np.log(y[positive]) - log_a[positive], 1)
        return np.exp(intercept), -C2 / slope

    def fit(y):
        params, _covariance = curve_fit(greybody, wavelength_m, y, p0=wien_start(y))
        return params[1]

    return fit


def timed_loop(fit, spectra, min_seconds):
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    fits = 0
    while time.perf_counter() - wall0 < min_seconds:
        fit(spectra[fits % len(spectra)])
        fits += 1
    return fits / (time.perf_counter() - wall0), fits / max(time.process_time() - cpu0, 1e-9)


def main():
    with open(sys.argv[1]) as handle:
        meta = json.load(handle)
    wavelength_m, spectra, truth = load(meta)
    fit = make_fitter(wavelength_m)
    checked = min(len(spectra), 300)
    errors = np.array([abs(fit(spectra[i]) / truth[i] - 1) for i in range(checked)])
    best_wall = 0.0
    best_cpu = 0.0
    for _ in range(meta.get('repeats', 3)):
        wall, cpu = timed_loop(fit, spectra, meta.get('minSeconds', 1.0))
        best_wall = max(best_wall, wall)
        best_cpu = max(best_cpu, cpu)
    print(json.dumps({
        'fitsPerSecond': best_wall,
        'fitsPerCpuSecond': best_cpu,
        'pixels': int(wavelength_m.size),
        'medianRelativeError': float(np.median(errors)),
        'checked': checked,
        'python': platform.python_version(),
        'numpy': np.__version__,
        'scipy': scipy.__version__,
        'blas': blas_description(),
    }))


if __name__ == '__main__':
    main()
