#!/usr/bin/env bash
# Checks coord-bom against the build: it lists every published module (all of the reactor's but examples, examples-spring-boot and
# coord-bench) at the reactor's version with coord-parent's netty, and a project that imports it resolves coord modules without versions.
# Run after `mvn install` (coord from the local repository; plugins and third-party jars as Maven finds them).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' pom.xml | head -n 1)
bom_version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' coord-bom/pom.xml | head -n 1)
[ "$version" = "$bom_version" ] || { echo "check-bom: coord-bom is at $bom_version, the build at $version" >&2; exit 1; }
netty() { grep -A2 '<artifactId>netty-bom</artifactId>' "$1" | sed -n 's|.*<version>\(.*\)</version>.*|\1|p'; }
[ "$(netty pom.xml)" = "$(netty coord-bom/pom.xml)" ] || { echo "check-bom: coord-bom's netty differs from coord-parent's" >&2; exit 1; }
published=$(sed -n 's|^    <module>\(.*\)</module>|\1|p' pom.xml | grep -vx -e examples -e examples-spring-boot -e coord-bench -e coord-bom)
for m in $published; do
  grep -q "<artifactId>$m</artifactId>" coord-bom/pom.xml || { echo "check-bom: coord-bom does not list $m" >&2; exit 1; }
done
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
deps=""
for m in $published; do
  deps="$deps<dependency><groupId>io.coord</groupId><artifactId>$m</artifactId></dependency>"
done
cat > "$probe/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>probe</groupId><artifactId>bom-user</artifactId><version>1</version><packaging>pom</packaging>
  <dependencyManagement><dependencies><dependency><groupId>io.coord</groupId><artifactId>coord-bom</artifactId>
    <version>$version</version><type>pom</type><scope>import</scope></dependency></dependencies></dependencyManagement>
  <dependencies>$deps</dependencies>
  <build><plugins><plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId>
    <version>3.8.1</version></plugin></plugins></build>
</project>
POM
mvn -B -q -f "$probe/pom.xml" dependency:list -DoutputFile="$probe/list.txt" > "$probe/mvn.log" 2>&1 || { cat "$probe/mvn.log" >&2; exit 1; }
for m in $published; do
  grep -q "io.coord:$m:jar:$version" "$probe/list.txt" || { echo "check-bom: a BOM user did not get $m at $version" >&2; exit 1; }
done
echo "check-bom: coord-bom $version lists and resolves: $(echo $published | tr '\n' ' ')"
