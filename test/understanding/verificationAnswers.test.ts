import { describe, expect, it } from 'vitest';
import { dateOrderWritten, readDateOfBirth } from '../../conversation/verificationAnswers.js';

describe('dates of birth as people type them', () => {
  it.each([
    ['1990-04-18', null, '1990-04-18'],
    ['1990年4月18日', null, '1990-04-18'],
    ['04/18/1990', null, '1990-04-18'], // 18 can only be the day
    ['18/04/1990', null, '1990-04-18'],
    ['April 18, 1990', null, '1990-04-18'],
    ['18 April 1990', null, '1990-04-18'],
    ['03/04/1985', 'mdy', '1985-03-04'], // US English: month first
    ['03/04/1985', null, null], // elsewhere an ambiguous order is never guessed
    ['02/30/1990', 'mdy', null],
  ] as const)('%s (%s) → %s', (text, order, want) => {
    expect(readDateOfBirth(text, order)).toBe(want);
  });
});

describe('the date order a cardholder writes', () => {
  it.each([
    ['04/18/1990', null, 'mdy'],
    ['18/04/1990', null, 'dmy'],
    ['18.04.1990', 'mdy', 'dmy'],
    ['04/05/1990', 'mdy', 'mdy'],
    ['04/05/1990', null, null],
    ['1990-04-18', 'mdy', null],
  ] as const)('%s (convention %s) → %s', (text, order, written) => {
    expect(dateOrderWritten(text, order)).toBe(written);
  });
});
