import { getDocument } from "../../../servers/docs/index.js";
import { findRecords, updateRecord } from "../../../servers/crm/index.js";

/** Attach a long meeting transcript from the document store to the CRM contact it is about, without passing the transcript through the model. */
export async function attachTranscriptToContact(): Promise<void> {
  const transcript = (await getDocument({ id: "meet-2025-q3-planning-call" })) as string;
  const { records } = await findRecords({ query: "jordan.ellis@example.com", type: "contact" });
  await updateRecord({ id: records[0].id, fields: { notes: transcript } });
  console.log(`Attached the transcript (${transcript.length} chars) to ${records[0].name}`);
}

export default attachTranscriptToContact;
