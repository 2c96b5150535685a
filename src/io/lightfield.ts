/**
 * What a LightField (SPE 3.0) XML footer says about the acquisition, beyond geometry and wavelengths: the
 * camera (model, intensifier, electron multiplication, ADC gain, sensor temperature), LightField's own background
 * correction, and the frame rate. Elements LightField marks `relevance="False"` (settings not in effect) are
 * ignored.
 */
import type { AcquisitionFacts, CameraInfo } from './types';
import { deepText, findAll, findFirst, type XmlElement } from './xml';

export const NO_ACQUISITION_FACTS: AcquisitionFacts = {
  camera: null,
  backgroundCorrected: false,
  backgroundReference: null,
  frameRate: null,
};

function relevant(e: XmlElement): boolean {
  return (e.attrs.relevance ?? '').toLowerCase() !== 'false';
}

/** Text of the first relevant child `name` of `parent` (searched at any depth), or null. */
function childText(parent: XmlElement | null, name: string): string | null {
  if (!parent) {
    return null;
  }
  const element = findFirst(parent, name, relevant);
  if (!element) {
    return null;
  }
  const text = deepText(element).trim();
  return text === '' ? null : text;
}

function childNumber(parent: XmlElement | null, name: string): number | null {
  const text = childText(parent, name);
  const value = text === null ? NaN : Number(text);
  return Number.isFinite(value) ? value : null;
}

function isTrue(text: string | null): boolean {
  return (text ?? '').toLowerCase() === 'true';
}

/** The camera model named in the System section (`<Camera model="PI-MAX3: 1024x256" …/>`). */
function cameraModel(root: XmlElement): string | null {
  const withModel = findAll(root, 'Camera').find((c) => (c.attrs.model ?? '').trim() !== '');
  return withModel ? withModel.attrs.model.trim() : null;
}

/** An image intensifier in use: an `Intensifier` block that is enabled (or states nothing), or a PI-MAX model. */
function isIntensified(root: XmlElement, model: string | null): boolean {
  const intensifier = findFirst(root, 'Intensifier', relevant);
  if (intensifier) {
    const enabled = childText(intensifier, 'Enabled');
    return enabled === null ? true : isTrue(enabled);
  }
  return /PI-?MAX/i.test(model ?? '');
}

/** Sensor temperature in °C: the reading, else the set point. */
function sensorTemperature(root: XmlElement): number | null {
  for (const t of findAll(root, 'Temperature', relevant)) {
    const reading = childNumber(t, 'Reading') ?? childNumber(t, 'SetPoint');
    if (reading !== null) {
      return reading;
    }
  }
  return null;
}

/** The camera facts of a LightField footer, or null when it names no camera settings at all. */
export function cameraFromXml(root: XmlElement): CameraInfo | null {
  const model = cameraModel(root);
  const adc = findFirst(root, 'Adc', relevant);
  const quality = childText(adc, 'Quality');
  const emGain = childNumber(adc, 'EMGain');
  const camera: CameraInfo = {
    model,
    intensified: isIntensified(root, model),
    // excess noise only when the EM register multiplies (gain > 1; a gain of 1 is the conventional readout)
    electronMultiplying: (quality ?? '').toLowerCase() === 'electronmultiplied' && (emGain === null || emGain > 1),
    emGain: (quality ?? '').toLowerCase() === 'electronmultiplied' ? emGain : null,
    adcGain: childText(adc, 'AnalogGain'),
    sensorTemperature: sensorTemperature(root),
  };
  const saysAnything = model !== null || adc !== null || camera.sensorTemperature !== null || camera.intensified;
  return saysAnything ? camera : null;
}

/** Camera, background correction and frame rate from a LightField footer. */
export function acquisitionFromXml(root: XmlElement): AcquisitionFacts {
  const background = findFirst(root, 'BackgroundCorrection', relevant);
  const backgroundCorrected = isTrue(childText(background, 'Enabled'));
  const frameRate = findAll(root, 'FrameRate', relevant)
    .map((e) => Number(deepText(e).trim()))
    .find((v) => Number.isFinite(v) && v > 0);
  return {
    camera: cameraFromXml(root),
    backgroundCorrected,
    backgroundReference: backgroundCorrected ? childText(background, 'ReferenceFile') : null,
    frameRate: frameRate ?? null,
  };
}
