import { DataError } from '../../lib/data/readers/data_error';

/** The DataError `fn` throws (the test fails when it throws something else or nothing). */
export function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('did not throw');
}
