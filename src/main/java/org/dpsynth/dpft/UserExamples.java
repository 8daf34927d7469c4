package org.dpsynth.dpft;

import java.io.Serializable;

/**
 * One user's bounded records as token ids, with the control code (label index + 1) of each.
 * Lives only on executors; the driver never collects it.
 */
public record UserExamples(String user, int[][] tokens, int[] codes) implements Serializable {}
