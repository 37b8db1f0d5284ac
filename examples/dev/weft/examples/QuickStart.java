package dev.weft.examples;

import dev.weft.*;
import java.util.List;

public class QuickStart {
  public static void main(String[] args) {
    var g = Graph.builder("profile-page");
    Input<String> userId = g.input("userId", String.class);
    Node<String> name = g.task("name", userId, id -> "Ada (" + id + ")");   // e.g. a user service
    Node<List<String>> feed = g.task("feed", userId, id -> {                  // runs beside "name"
      throw new java.io.IOException("feed service is down");
    });
    Node<String> page = g.task("page", name, feed.orElse(List.of()),          // runs without a feed
        (n, items) -> "Hello " + n + ", " + items.size() + " new posts");
    Graph graph = g.build();                                                  // validated here, once

    RunResult result = graph.run(Inputs.of(userId, "u42"));                   // per request
    System.out.println(result.get(page));                                    // Hello Ada (u42), 0 new posts
    System.out.println(result.failures());                                   // the feed's IOException
  }
}
