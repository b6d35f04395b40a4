package io.gmq;

/** A topic and its partition count. */
public record TopicInfo(String name, int partitions) {}
