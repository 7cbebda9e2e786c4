import { echo, getSum } from "../../../servers/everything/index.js";

/** Add pairs of numbers in parallel with the everything reference server and echo a confirmation. */
export async function sumAndEcho(): Promise<void> {
  const sums = await Promise.all([[1, 2], [3, 4], [5, 6]].map(([a, b]) => getSum({ a, b })));
  const said = await echo({ message: "sums computed" });
  console.log(JSON.stringify({ sums, said }));
}

export default sumAndEcho;
